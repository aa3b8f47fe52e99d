"""Deterministic, explainable question → knowledge-entry matcher.

Pipeline: normalise (text.py) → retrieve candidates from sparse TF-IDF indexes over characters
and toneless pinyin (index.py) → re-rank with exact cosines, rapidfuzz and keywords, then decide
answer / suggest / fallback (rank.py). Public API: ``Matcher.build(entries, normalizer)`` and
``Matcher.match(question) -> Result``.
"""
from __future__ import annotations

from dataclasses import dataclass

from bot.matcher.index import SparseIndex
from bot.matcher.rank import Candidate, Result, combine, decide, fuzzy
from bot.matcher.text import Analysed, Normalizer

__all__ = ["Matcher", "Result", "Candidate", "Normalizer"]

# Pinyin terms count a little less than characters: they catch homophones (残积证, 平残) but also
# join unrelated words that sound alike.
FAMILY_WEIGHT = {"c:": 1.0, "p:": 0.7}
DOC_HITS = 50  # sample questions retrieved per query
RERANK = 12  # candidates scored in full
KW_USERS_POWER = 0.5  # how much a keyword's use by other topics' samples discounts it


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
                 doc_index: SparseIndex, entry_index: SparseIndex, keyword_df: dict[str, int]):
        self.normalizer = normalizer
        self.entries = entries
        self.doc_entry = doc_entry  # doc number → entry number
        self.doc_index = doc_index  # one document per sample question (and title)
        self.entry_index = entry_index  # one document per entry, all its words (for coverage only)
        self.keyword_weight = keyword_df  # keyword → what a hit is worth (0–1)
        self.first_doc: dict[int, int] = {}  # entry → its first doc number
        for doc, number in enumerate(doc_entry):
            self.first_doc.setdefault(number, doc)

    @classmethod
    def build(cls, entries, normalizer: Normalizer) -> "Matcher":
        """entries: objects with id, kind, title, questions, keywords (see bot.knowledge.Entry)."""
        items, doc_terms, doc_entry, profiles = [], [], [], []
        for number, entry in enumerate(entries):
            originals = [entry.title, *entry.questions]
            analysed = [normalizer.analyse(q) for q in originals]
            keywords = {}  # 论椅 and 轮椅 both normalise to 轮椅: count it once
            for kw in entry.keywords or []:
                a = normalizer.analyse(kw)
                if a.compact:
                    keywords.setdefault(a.compact, (a.compact, f" {a.pinyin_text} "))
            keywords = list(keywords.values())
            objects = normalizer.objects_in(" ".join([a.compact for a in analysed] + [k for k, _ in keywords]))
            items.append(_Entry(entry.id, entry.kind, entry.title, [a.compact for a in analysed],
                                [a.syllables for a in analysed], originals, keywords, objects))
            profile: dict[str, int] = {}
            for i, a in enumerate(analysed + [normalizer.analyse(k) for k in entry.keywords or []]):
                terms = a.terms()
                if i < len(analysed):
                    doc_terms.append(terms)
                    doc_entry.append(number)
                for term, tf in terms.items():
                    profile[term] = profile.get(term, 0) + tf
            profiles.append(profile)
        doc_index = SparseIndex.build(doc_terms, FAMILY_WEIGHT)
        return cls(normalizer, items, doc_entry, doc_index, SparseIndex.build(profiles, FAMILY_WEIGHT, postings=False),
                   _keyword_df(items, doc_index, doc_entry))

    def __len__(self) -> int:
        return len(self.entries)

    def match(self, question: str) -> Result:
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
        candidates = [self._score(e, analysed, evec, best_doc.get(e), objects) for e in pre]
        return decide(question, analysed.text, candidates)

    def _score(self, number: int, analysed: Analysed, evec, doc_hit, objects) -> Candidate:
        entry = self.entries[number]
        cos_q = doc_hit[0] if doc_hit else 0.0
        fz, fz_i = fuzzy(analysed.compact, analysed.syllables, entry.texts, entry.sounds)
        hits, kw = self.keyword_hits(entry, analysed)
        components = {"cos_q": cos_q, "cover": self.entry_index.coverage(evec, number), "fuzz": fz, "kw": kw}
        if objects:  # the question names a certificate or card: does this entry ever talk about it?
            components["object"] = 1.0 if objects & entry.objects else 0.0
        matched = entry.originals[doc_hit[1] - self.first_doc[number]] if doc_hit and cos_q >= fz else entry.originals[fz_i]
        return Candidate(entry.id, entry.kind, entry.title, combine(components), components, matched, hits)

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
            for other, _ in self.doc_index.search(vec, 10):
                a, b = self.doc_entry[doc], self.doc_entry[other]
                if other <= doc or a == b:
                    continue
                sim = self.doc_index.dot(vec, other)
                if sim >= near:
                    ea, eb = self.entries[a], self.entries[b]
                    pairs.append((ea.id, ea.originals[doc - starts[a]], eb.id, eb.originals[other - starts[b]], sim))
        return pairs




def _keyword_df(items: list[_Entry], doc_index: SparseIndex, doc_entry: list[int]) -> dict[str, float]:
    """Keyword → how much a hit says (1 = only this topic uses the word).

    Editors list a keyword for the topic it points to; a word several topics list (一级, 代缴)
    says less. So does a word many other topics' samples use: 丢了 is a keyword of cert.renew
    but also fits 身份证/社保卡/户口本 — and "狗走丢了怎么办". Only entries sharing the keyword's
    rarest character pair are checked, so this stays fast at any size.
    """
    joined = [" ".join(item.texts) for item in items]
    listed: dict[str, set[int]] = {}
    for number, item in enumerate(items):
        for kw, _sound in item.keywords:
            listed.setdefault(kw, set()).add(number)
    weight = {}
    for kw, owners in listed.items():
        terms = [t for t in Analysed.of(kw).terms() if t.startswith("c:")]
        rare = min(terms, key=lambda t: len(doc_index.postings.get(t, ())), default=None)
        near = {doc_entry[d] for d, _w in doc_index.postings.get(rare, ())} if rare else set()
        users = owners | {e for e in near if kw in joined[e]}
        weight[kw] = 1.0 / len(owners) / len(users) ** KW_USERS_POWER
    return weight
