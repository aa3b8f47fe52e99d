"""Sparse TF-IDF vectors with an inverted index: candidate retrieval without scanning every entry."""
from __future__ import annotations

import math
from dataclasses import dataclass

# Postings visited per query at most. Terms are read rarest first, so the budget only drops the
# most common terms ("怎么", "残疾"), which carry little weight; it keeps query time flat as the
# knowledge base grows instead of growing with the number of sample questions.
POSTINGS_BUDGET = 6000
MIN_TERMS = 3  # always read the rarest few terms, whatever their length


@dataclass
class SparseIndex:
    """Documents as L2-normalised TF-IDF dicts; term → [(doc, weight)] postings."""

    vectors: list[dict[str, float]]
    idf: dict[str, float]
    postings: dict[str, list[tuple[int, float]]]
    family_weight: dict[str, float]
    n_docs: int

    @classmethod
    def build(cls, docs: list[dict[str, int]], family_weight: dict[str, float] | None = None) -> "SparseIndex":
        """docs: term frequencies per document; family_weight scales terms by prefix ("c:", "p:")."""
        family_weight = family_weight or {}
        df: dict[str, int] = {}
        for terms in docs:
            for term in terms:
                df[term] = df.get(term, 0) + 1
        n = len(docs)
        idf = {t: math.log((n + 1) / (d + 0.5)) for t, d in df.items()}
        index = cls([], idf, {}, family_weight, n)
        for i, terms in enumerate(docs):
            vec = index.weigh(terms)
            index.vectors.append(vec)
            for term, weight in vec.items():
                index.postings.setdefault(term, []).append((i, weight))
        return index

    def term_idf(self, term: str) -> float:
        # A word the knowledge base never uses is as informative as the rarest one: it counts in
        # the query's length, so "电动车上牌" is not mistaken for a close match of "上门评残".
        return self.idf.get(term, math.log((self.n_docs + 1) / 0.5))

    def weigh(self, terms: dict[str, int]) -> dict[str, float]:
        """Sublinear tf × idf × family weight, L2-normalised."""
        vec = {}
        for term, tf in terms.items():
            vec[term] = (1.0 + math.log(tf)) * self.term_idf(term) * self.family_weight.get(term[:2], 1.0)
        norm = math.sqrt(sum(w * w for w in vec.values())) or 1.0
        return {t: w / norm for t, w in vec.items()}

    def search(self, query: dict[str, float], limit: int, budget: int = POSTINGS_BUDGET) -> list[tuple[int, float]]:
        """Top documents by (partial) dot product, reading postings rarest term first."""
        scores: dict[int, float] = {}
        visited = 0
        terms = sorted((t for t in query if t in self.postings), key=lambda t: len(self.postings[t]))
        for k, term in enumerate(terms):
            plist = self.postings[term]
            if k >= MIN_TERMS and visited + len(plist) > budget:
                break
            visited += len(plist)
            qw = query[term]
            for doc, weight in plist:
                scores[doc] = scores.get(doc, 0.0) + qw * weight
        return sorted(scores.items(), key=lambda kv: -kv[1])[:limit]

    def coverage(self, query: dict[str, float], doc: int) -> float:
        """Share of the query's weight whose terms occur in the document at all (0–1).

        On an entry's profile (all its sample questions together) this says how much of the
        question the topic has words for, however the words were spread over its samples.
        """
        vec = self.vectors[doc]
        return sum(w * w for t, w in query.items() if t in vec)

    def dot(self, query: dict[str, float], doc: int, family: str | None = None) -> float:
        """Exact cosine of the query with one document (optionally one term family only)."""
        vec = self.vectors[doc]
        if family is None:
            return sum(w * vec.get(t, 0.0) for t, w in query.items())
        return sum(w * vec.get(t, 0.0) for t, w in query.items() if t.startswith(family))
