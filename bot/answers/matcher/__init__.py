"""Deterministic, explainable question → knowledge-entry matcher.

Pipeline: normalise (text.py) → retrieve candidates from sparse TF-IDF indexes over characters
and toneless pinyin (index.py) → re-rank with exact cosines, rapidfuzz and keywords, then decide
answer / suggest / fallback (rank.py). Public API: ``Matcher.build(entries, normalizer)`` and
``Matcher.match(question) -> Result``.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from bot.answers.matcher import semantic
from bot.answers.matcher.index import SparseIndex
from bot.answers.matcher.rank import (LEXICAL, OBJECT_MISMATCH, SEMANTIC, Candidate, Result, combine, decide, fuse,
                              fuzzy)
from bot.answers.matcher.text import Analysed, Normalizer

__all__ = ["Matcher", "Result", "Candidate", "Normalizer"]

# Pinyin terms count a little less than characters: they catch homophones (残积证, 平残) but also
# join unrelated words that sound alike.
FAMILY_WEIGHT = {"c:": 1.0, "p:": 0.7}
# Place words ("外地", which city names map to; "平阳") say where someone lives, not what they ask:
# "户口在平阳人在杭州，孩子做康复" is about 康复, not about 跨省通办.
PLACE_WEIGHT = 0.35
DOC_HITS = 50  # sample questions retrieved per query
RERANK = 12  # candidates scored in full
# A lexical answer at least this good and this far ahead skips the embedding (tune.tsv + tune-extra:
# no decision changes; the embedding runs for 161 of 270 questions; at 0.60/0.10 one changes).
DECISIVE_SCORE, DECISIVE_MARGIN = 0.65, 0.15
CACHE_SIZE = 1024  # recent questions whose results are kept


@dataclass
class _Entry:
    id: str
    kind: str
    title: str
    texts: list[str]  # normalised title and questions (for rapidfuzz)
    sounds: list[tuple[str, ...]]  # pinyin syllables of each
    originals: list[str]
    keywords: list[tuple[str, str]]  # (normalised text, " pinyin ")
    objects: frozenset[str]  # certificates/cards its samples talk about


class Matcher:
    def __init__(self, normalizer: Normalizer, entries: list[_Entry], doc_entry: list[int],
                 doc_index: SparseIndex, entry_index: SparseIndex, keyword_weight: dict[str, float]):
        self.normalizer = normalizer
        self.entries = entries
        self.doc_entry = doc_entry  # doc number → entry number
        self.doc_index = doc_index  # one document per sample question (and title)
        self.entry_index = entry_index  # one document per entry, all its words (for coverage only)
        self.keyword_weight = keyword_weight  # keyword → what a hit is worth (0–1)
        self.first_doc: dict[int, int] = {}  # entry → its first doc number
        for doc, number in enumerate(doc_entry):
            self.first_doc.setdefault(number, doc)
        # Residents ask the same few questions: results by question (a reload builds a new matcher,
        # so the knowledge version is part of the key by construction).
        self._cache: OrderedDict[str, Result] = OrderedDict()
        self._cache_lock = threading.Lock()

    semantic: "semantic.SemanticIndex | None" = None

    @classmethod
    def build(cls, entries, normalizer: Normalizer, embed: bool = True) -> "Matcher":
        """entries: objects with id, kind, title, questions, keywords (see bot.answers.knowledge.Entry).
        embed=False: lexical only, even when the embedding is installed."""
        items, doc_terms, doc_entry, profiles, doc_texts = [], [], [], [], []
        for number, entry in enumerate(entries):
            originals = [entry.title, *entry.questions]
            analysed = [normalizer.analyse(q) for q in originals]
            kw_analysed = {}  # 论椅 and 轮椅 both normalise to 轮椅: one keyword
            for kw in entry.keywords or []:
                a = normalizer.analyse(kw)
                if a.compact:
                    kw_analysed.setdefault(a.compact, a)
            keywords = [(k, f" {a.pinyin_text} ") for k, a in kw_analysed.items()]
            objects = normalizer.objects_in(" ".join([a.compact for a in analysed] + list(kw_analysed)))
            items.append(_Entry(entry.id, entry.kind, entry.title, [a.compact for a in analysed],
                                [a.syllables for a in analysed], originals, keywords, objects))
            profile: dict[str, int] = {}
            for a in analysed:
                doc_texts.append(normalizer.meaning(a.text))
                terms = a.terms()
                doc_terms.append(terms)
                doc_entry.append(number)
                for term, tf in terms.items():
                    profile[term] = profile.get(term, 0) + tf
            for a in kw_analysed.values():
                for term, tf in a.terms().items():
                    profile[term] = profile.get(term, 0) + tf
            profiles.append(profile)
        damp = {}
        for word in normalizer.places:  # the word's own terms (bigrams and longer), not its characters
            damp.update({t: PLACE_WEIGHT for t in Analysed.of(word).terms()
                         if "_" in t or (t.startswith("c:") and len(t) > 3)})
        matcher = cls(normalizer, items, doc_entry, SparseIndex.build(doc_terms, FAMILY_WEIGHT, damp=damp),
                      SparseIndex.build(profiles, FAMILY_WEIGHT, postings=False, damp=damp),
                      _keyword_weights(items, normalizer.places))
        if embed:
            matcher.semantic = semantic.SemanticIndex.build(doc_texts, doc_entry, len(items))
        return matcher

    def __len__(self) -> int:
        return len(self.entries)

    def match(self, question: str) -> Result:
        """The decision for a question (shared, read-only: cached for repeats)."""
        key = " ".join(question.split())
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        result = self._match(question)
        with self._cache_lock:
            self._cache[key] = result
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return result

    def _match(self, question: str) -> Result:
        analysed = self.normalizer.analyse(question)
        if not analysed.text:
            return decide(question, "", [])
        terms = analysed.terms()
        qvec, evec = self.doc_index.weigh(terms), self.entry_index.weigh(terms)
        # Retrieval: the sample questions closest by cosine (inverted index). Their entries, best
        # first, are the candidates; only the first RERANK get rapidfuzz, keywords, coverage and
        # the final score. (Searching the entry profiles too found no extra right answers on the
        # dev set and cost a third of the time.)
        best_doc: dict[int, tuple[float, int]] = {}  # entry → (cosine, doc)
        for doc, cos in self.doc_index.search(qvec, DOC_HITS, prune=2 * DOC_HITS):
            entry = self.doc_entry[doc]
            if cos > best_doc.get(entry, (-1.0, 0))[0]:
                best_doc[entry] = (cos, doc)
        pre = sorted(best_doc, key=lambda e: -best_doc[e][0])[:RERANK]
        objects = self.normalizer.objects_in(analysed.compact)
        scored = {e: self._score(e, analysed, evec, best_doc.get(e), objects) for e in pre}
        if self.semantic is None:
            return decide(question, analysed.text, list(scored.values()), LEXICAL)
        lexical = decide(question, analysed.text, [_copy(c) for c in scored.values()], LEXICAL)
        if _decisive(lexical):  # the embedding (~25 ms) could not change this answer
            return lexical
        # The embedding adds the entries closest in meaning (a question with none of the samples'
        # words), then each candidate's lexical score is fused with its cosine.
        cosines = self.semantic.entry_cosines(self.normalizer.meaning(analysed.text))
        pre += [e for e in self.semantic.best(cosines) if e not in pre]
        candidates = []
        for e in pre:
            cand = scored.get(e) or self._score(e, analysed, evec, self._best_doc(e, qvec), objects)
            cos = float(cosines[e])
            cand.components["lex"], cand.components["cos_e"] = cand.score, cos
            cand.score = fuse(cand.score, cos)
            if cand.components.get("object") == 0.0:  # another certificate: close in meaning, wrong object
                cand.score *= OBJECT_MISMATCH
            candidates.append(cand)
        return decide(question, analysed.text, candidates, SEMANTIC)

    def _best_doc(self, number: int, qvec) -> tuple[float, int] | None:
        """The entry's sample closest by TF-IDF cosine (for candidates only the embedding found)."""
        docs = range(self.first_doc[number], self.first_doc[number] + len(self.entries[number].texts))
        best = max(((self.doc_index.dot(qvec, d), d) for d in docs), default=None)
        return best if best and best[0] > 0 else None

    def _score(self, number: int, analysed: Analysed, evec, doc_hit, objects) -> Candidate:
        entry = self.entries[number]
        cos_q = doc_hit[0] if doc_hit else 0.0
        fz, fz_i = fuzzy(analysed.compact, analysed.syllables, entry.texts, entry.sounds)
        hits, kw = self.keyword_hits(entry, analysed)
        components = {"cos_q": cos_q, "cover": self.entry_index.coverage(evec, number), "fuzz": fz, "kw": kw}
        if objects:  # the question names a certificate or card: does this entry ever talk about it?
            components["object"] = 1.0 if objects & entry.objects else 0.0
        elif entry.kind == "referral" and entry.objects and not hits:
            # Another office's certificate (身份证, 驾驶证 …) never named, none of its words said:
            # "孩子第一次来办证" only reads like "小孩第一次办身份证"; it is about our own certificate.
            components["object"] = 0.0
        # The sample shown as "matched": the closest by cosine, or by rapidfuzz if that is closer.
        best = doc_hit[1] - self.first_doc[number] if doc_hit and cos_q >= fz else fz_i
        return Candidate(entry.id, entry.kind, entry.title, combine(components), components,
                         entry.originals[best], hits)

    def keyword_hits(self, entry: _Entry, analysed: Analysed) -> tuple[list[str], float]:
        """Keywords found in the question (as written, or as sound); rarer keywords count more."""
        text, sound = analysed.compact, f" {analysed.pinyin_text} "
        hits, score = [], 0.0
        for kw, kw_sound in entry.keywords:
            if kw in text:
                weight = 1.0
            elif len(kw) >= 3 and kw_sound in sound:
                weight = 0.8
            else:
                continue
            hits.append(kw)
            score += weight * self.keyword_weight.get(kw, 1.0)
        return hits, min(1.0, score)

    def close_pairs(self, near: float) -> list[tuple[str, str, str, str, float]]:
        """Sample questions of different entries that read almost the same (for `kb check`)."""
        pairs, starts = [], self.first_doc
        for doc, vec in enumerate(self.doc_index.vectors):
            for other, sim in self.doc_index.search(vec, 10):
                a, b = self.doc_entry[doc], self.doc_entry[other]
                if other > doc and a != b and sim >= near:
                    ea, eb = self.entries[a], self.entries[b]
                    qa, qb = ea.originals[doc - starts[a]], eb.originals[other - starts[b]]
                    pairs.append((ea.id, qa, eb.id, qb, sim))
        return pairs


def _copy(c: Candidate) -> Candidate:
    return Candidate(c.entry_id, c.kind, c.title, c.score, dict(c.components), c.matched, c.keywords)


def _decisive(result: Result) -> bool:
    """A lexical answer so clear that the fused score would answer the same (checked on tune.tsv)."""
    if result.decision != "answer" or result.vague:
        return False
    top = result.candidates[0]
    runner = result.candidates[1].score if len(result.candidates) > 1 else 0.0
    return top.score >= DECISIVE_SCORE and top.score - runner >= DECISIVE_MARGIN


def _keyword_weights(items: list[_Entry], places=()) -> dict[str, float]:
    """Keyword → what a hit is worth: 1 if one topic lists it, 1/n if n topics do (一级, 代缴).

    Discounting words that other topics' samples merely use (轮椅, 丢了) was tried too; it lost
    more right answers than it saved on the dev set: the editors' choice of keywords is signal.
    """
    listed: dict[str, int] = {}
    for item in items:
        for kw, _sound in item.keywords:
            listed[kw] = listed.get(kw, 0) + 1
    return {kw: (PLACE_WEIGHT if kw in places else 1.0) / n for kw, n in listed.items()}
