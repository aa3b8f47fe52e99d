"""Deterministic, explainable question → knowledge-entry matcher.

Pipeline: normalise (text.py) → retrieve candidates from sparse TF-IDF indexes over characters
and toneless pinyin (index.py) → re-rank with exact cosines, rapidfuzz and keywords, then decide
answer / suggest / fallback (rank.py). Public API: ``Matcher.build(entries, normalizer)`` and
``Matcher.match(question) -> Result``.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from bot.answers.matcher import aside, keywords, semantic, story, two_asks
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
    keywords: list[tuple[str, tuple[str, ...]]]  # (normalised text, its " pinyin " sounds)
    objects: frozenset[str]  # certificates/cards its samples talk about


@dataclass
class _Query:
    """One text (the whole message, or the part of a story that asks) on its way through matching."""

    analysed: Analysed
    qvec: object  # TF-IDF vector over the sample questions
    evec: object  # … over the entries' profiles
    objects: frozenset[str]
    pool: list[int] = field(default_factory=list)  # candidate entries, best first
    scored: dict[int, Candidate] = field(default_factory=dict)  # entry → lexical candidate
    cosines: object = None  # e5 cosine with every entry, when the embedding ran


class Matcher:
    def __init__(self, normalizer: Normalizer, entries: list[_Entry], doc_entry: list[int],
                 doc_index: SparseIndex, entry_index: SparseIndex, keyword_weight: dict[str, float]):
        self.normalizer = normalizer
        self.entries = entries
        self.doc_entry = doc_entry  # doc number → entry number
        self.doc_index = doc_index  # one document per sample question (and title)
        self.entry_index = entry_index  # one document per entry, all its words (for coverage only)
        self.keyword_weight = keyword_weight  # keyword → what a hit is worth (0–1)
        self.listed = keywords.listed([e.keywords for e in entries], normalizer.places)
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
            kw_analysed, entry_keywords = keywords.of_entry(entry.keywords, normalizer)
            objects = normalizer.objects_in(" ".join([a.compact for a in analysed] + list(kw_analysed)))
            items.append(_Entry(entry.id, entry.kind, entry.title, [a.compact for a in analysed],
                                [a.syllables for a in analysed], originals, entry_keywords, objects))
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
                      keywords.weights([i.keywords for i in items], normalizer.places, PLACE_WEIGHT))
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
        # Small talk beside a question ("…怎么申请 你是机器人吗"): each part matched on its own.
        result = self._match_text(question)
        result = (aside.split(question, result, self._match_text) if aside.involved(result) else None) or result
        # Two questions ("…找谁 还有护理补贴怎么申请"): the first answered, the second kept as `also`.
        return two_asks.split(question, result, self._match_text) or result

    def _match_text(self, question: str) -> Result:
        analysed = self.normalizer.analyse(question)
        if not analysed.text:
            return decide(question, "", [])
        whole = self._lexical(analysed, self.normalizer.objects_in(analysed.compact))
        # A long story: the sentences that ask are matched too (with the story's certificates:
        # "结婚证找不到了…这个去哪里补办" asks about the 结婚证), and each topic's scores combined.
        part_text = story.question_part(question)
        part_analysed = self.normalizer.analyse(part_text) if part_text else None
        part = self._lexical(part_analysed, whole.objects) if part_analysed and part_analysed.text else None
        queries = (whole,) if part is None else (whole, part)
        lexical = decide(question, analysed.text, self._combined(queries, fused=False), LEXICAL)
        # Without the embedding, or so clear that it (~25 ms a text) could not change the answer:
        if self.semantic is None or lexical.decisive(DECISIVE_SCORE, DECISIVE_MARGIN):
            return lexical
        # The embedding adds the entries closest in meaning (a question with none of the samples'
        # words), then each candidate's lexical score is fused with its cosine.
        for query in queries:
            query.cosines = self.semantic.entry_cosines(self.normalizer.meaning(query.analysed.text))
            query.pool += [e for e in self.semantic.best(query.cosines) if e not in query.pool]
        return decide(question, analysed.text, self._combined(queries, fused=True), SEMANTIC)

    def _lexical(self, analysed: Analysed, objects: frozenset[str]) -> "_Query":
        """Retrieval: the sample questions closest by cosine (inverted index). Their entries, best first,
        are the candidates; only the first RERANK get rapidfuzz, keywords, coverage and the final score
        (searching the entry profiles too found no more right answers on dev, for a third more time)."""
        terms = analysed.terms()
        query = _Query(analysed, self.doc_index.weigh(terms), self.entry_index.weigh(terms), objects)
        best_doc: dict[int, tuple[float, int]] = {}  # entry → (cosine, doc)
        for doc, cos in self.doc_index.search(query.qvec, DOC_HITS, prune=2 * DOC_HITS):
            entry = self.doc_entry[doc]
            if cos > best_doc.get(entry, (-1.0, 0))[0]:
                best_doc[entry] = (cos, doc)
        query.pool = sorted(best_doc, key=lambda e: -best_doc[e][0])[:RERANK]
        query.scored = {e: self._score(e, analysed, query.evec, best_doc.get(e), query.objects)
                        for e in query.pool}
        return query

    def _candidate(self, query: "_Query", number: int, fused: bool) -> Candidate:
        """The entry's candidate for this query (lexical, or fused with the cosine)."""
        cand = query.scored.get(number)
        if cand is None:
            cand = query.scored[number] = self._score(number, query.analysed, query.evec,
                                                      self._best_doc(number, query.qvec), query.objects)
        cand = cand.copy()
        if fused:
            cos = float(query.cosines[number])
            cand.components["lex"], cand.components["cos_e"] = cand.score, cos
            cand.score = fuse(cand.score, cos)
            if cand.components.get("object") == 0.0:  # another certificate: close in meaning, wrong object
                cand.score *= OBJECT_MISMATCH
        return cand

    def _combined(self, queries: tuple["_Query", ...], fused: bool) -> list[Candidate]:
        """Candidates of the whole message; for a story, each topic's whole and part scores combined."""
        whole, part = queries[0], (queries[1] if len(queries) > 1 else None)
        pool = list(dict.fromkeys(whole.pool + (part.pool if part else [])))
        candidates = []
        for e in pool:
            cand = self._candidate(whole, e, fused)
            if part is not None:
                asked = self._candidate(part, e, fused)
                for key in ("lex", "cos_e"):  # what the decision's floors and checks read
                    if key in cand.components:
                        cand.components[key] = story.combine(cand.components[key], asked.components[key])
                cand.components["part"] = asked.score
                cand.score = story.combine(cand.score, asked.score)
                cand.keywords = list(dict.fromkeys(cand.keywords + asked.keywords))
            candidates.append(cand)
        return candidates

    def _best_doc(self, number: int, qvec) -> tuple[float, int] | None:
        """The entry's sample closest by TF-IDF cosine (for candidates only the embedding found)."""
        docs = range(self.first_doc[number], self.first_doc[number] + len(self.entries[number].texts))
        best = max(((self.doc_index.dot(qvec, d), d) for d in docs), default=None)
        return best if best and best[0] > 0 else None

    def _score(self, number: int, analysed: Analysed, evec, doc_hit, objects) -> Candidate:
        entry = self.entries[number]
        cos_q = doc_hit[0] if doc_hit else 0.0
        fz, fz_i = fuzzy(analysed.compact, analysed.syllables, entry.texts, entry.sounds)
        hits, kw = keywords.hits(entry.keywords, analysed, self.keyword_weight)
        components = {"cos_q": cos_q, "cover": self.entry_index.coverage(evec, number), "fuzz": fz, "kw": kw}
        if objects and (entry.objects or not objects <= self.normalizer.own_objects):
            # The question names a certificate or card: does this entry ever talk about it? (Our own
            # 残疾证 said in passing, "他有二级残疾证…护理补贴咋申请", does not rule out a topic that never
            # names a certificate; it still tells 残疾证补办 from 身份证补办.)
            components["object"] = 1.0 if objects & entry.objects else 0.0
        elif entry.kind == "referral" and entry.objects and not hits:
            # Another office's certificate (身份证, 驾驶证 …) never named, none of its words said:
            # "孩子第一次来办证" only reads like "小孩第一次办身份证"; it is about our own certificate.
            components["object"] = 0.0
        # The sample shown as "matched": the closest by cosine, or by rapidfuzz if that is closer.
        best = doc_hit[1] - self.first_doc[number] if doc_hit and cos_q >= fz else fz_i
        return Candidate(entry.id, entry.kind, entry.title, combine(components), components,
                         entry.originals[best], hits, self.listed[number])

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
