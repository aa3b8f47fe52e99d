"""Sparse TF-IDF vectors with an inverted index: candidate retrieval without scanning every entry."""
from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

try:  # the semantic extra brings numpy; without it the same search runs in plain Python
    import numpy as np
except ImportError:  # pragma: no cover - depends on the installation
    np = None

# Postings visited per query at most. Terms are read rarest first, so the budget only drops the
# most common terms ("怎么", "残疾"), which carry little weight; it keeps query time flat as the
# knowledge base grows instead of growing with the number of sample questions.
POSTINGS_BUDGET = 1000
MIN_TERMS = 3  # always read the rarest few terms (at least MIN_TAKE postings of each)
MIN_TAKE = 200
PRUNE = 150  # candidates re-scored exactly (cosine over all the query's terms)


@dataclass
class SparseIndex:
    """Documents as L2-normalised TF-IDF dicts; term → [(doc, weight)] postings."""

    vectors: list[dict[str, float]]
    idf: dict[str, float]
    postings: dict[str, list[tuple[int, float]]]
    family_weight: dict[str, float]
    n_docs: int
    damp: dict[str, float] = field(default_factory=dict)  # term → factor (place words, see Matcher)

    @classmethod
    def build(cls, docs: list[dict[str, int]], family_weight: dict[str, float] | None = None,
              postings: bool = True, damp: dict[str, float] | None = None) -> "SparseIndex":
        """docs: term frequencies per document; family_weight scales terms by prefix ("c:", "p:").
        postings=False: vectors only, for scoring known documents (no search)."""
        df: Counter = Counter()
        for terms in docs:
            df.update(terms.keys())  # counted in C
        n = len(docs)
        idf = {t: math.log((n + 1) / (d + 0.5)) for t, d in df.items()}
        lists: defaultdict = defaultdict(list)
        index = cls([], idf, {}, family_weight or {}, n, damp or {})
        for i, terms in enumerate(docs):
            vec = index.weigh(terms)
            index.vectors.append(vec)
            if postings:
                for term, weight in vec.items():
                    lists[term].append((i, weight))
        # Highest weight first ("impact order"): when a list is cut short by the budget, the
        # documents it keeps are those where the term matters most.
        index.postings = {t: sorted(p, key=lambda dw: -dw[1]) for t, p in lists.items()}
        index.arrays = {} if np is None else {
            t: (np.fromiter((d for d, _w in p), np.int32, len(p)), np.fromiter((w for _d, w in p), np.float64, len(p)))
            for t, p in index.postings.items()}
        return index

    arrays: dict = field(default_factory=dict)  # term → (docs, weights) of its postings, for numpy
    # term → idf × family weight × damp, multiplied in weigh()'s order (the same floats), per known term.
    factors: dict = field(default_factory=dict, repr=False)
    _squares: tuple = field(default=(None, None), repr=False)  # (query, its squared weights), see coverage

    def __post_init__(self):
        family, damp = self.family_weight, self.damp
        self.factors = {t: idf * family.get(t[:2], 1.0) * damp.get(t, 1.0) for t, idf in self.idf.items()}

    def term_idf(self, term: str) -> float:
        # A word the knowledge base never uses is as informative as the rarest one: it counts in
        # the query's length, so "电动车上牌" is not mistaken for a close match of "上门评残".
        return self.idf.get(term, math.log((self.n_docs + 1) / 0.5))

    def weigh(self, terms: dict[str, int]) -> dict[str, float]:
        """Sublinear tf × idf × family weight, L2-normalised."""
        idf, unseen, family, damp = self.idf, self.term_idf(""), self.family_weight, self.damp
        factors, vec = self.factors, {}
        for t, tf in terms.items():
            factor = factors.get(t) if tf <= 1 else None  # 1.0 × idf × … is idf × …: the same float
            vec[t] = factor if factor is not None else (
                (1.0 + math.log(tf) if tf > 1 else 1.0) * idf.get(t, unseen) * family.get(t[:2], 1.0)
                * damp.get(t, 1.0))
        norm = math.sqrt(sum(w * w for w in vec.values())) or 1.0
        return {t: w / norm for t, w in vec.items()}

    def search(self, query: dict[str, float], limit: int, budget: int = POSTINGS_BUDGET,
               prune: int = PRUNE) -> list[tuple[int, float]]:
        """Top documents by cosine: gather candidates from the rarest terms' postings (within the
        budget), keep the best `prune` by that partial score, then score those exactly."""
        postings = self.postings
        terms = sorted((t for t in query if t in postings), key=lambda t: len(postings[t]))
        taken: list[tuple[str, int]] = []  # (term, postings read) within the budget
        visited = 0
        for k, term in enumerate(terms):
            n = len(postings[term])
            if visited + n > budget:
                if k >= MIN_TERMS:
                    break
                n = min(n, max(budget - visited, MIN_TAKE))  # a common word: its best documents
            taken.append((term, n))
            visited += n
        if self.arrays:
            return self._search_arrays(query, terms, taken, limit, prune)
        scores: dict[int, float] = {}
        for term, n in taken:
            qw, get = query[term], scores.get
            for doc, weight in postings[term][:n]:
                scores[doc] = get(doc, 0.0) + qw * weight
        if len(scores) > prune:
            scores = dict(heapq.nlargest(prune, scores.items(), key=lambda kv: kv[1]))
        exact = [(doc, self.dot(query, doc)) for doc in scores]
        # Equal scores (two samples that normalise alike) go by document number, as with numpy below.
        return heapq.nlargest(limit, exact, key=lambda kv: (kv[1], -kv[0]))

    def _search_arrays(self, query, terms, taken, limit, prune) -> list[tuple[int, float]]:
        """The same search with numpy: partial and exact scores each one weighted bincount."""
        if not taken:
            return []
        arrays = self.arrays
        docs = np.concatenate([arrays[t][0][:n] for t, n in taken])
        weights = np.concatenate([arrays[t][1][:n] * query[t] for t, n in taken])
        partial = np.bincount(docs, weights, minlength=self.n_docs)
        candidates = np.flatnonzero(partial)
        if len(candidates) > prune:
            candidates = candidates[np.argpartition(-partial[candidates], prune - 1)[:prune]]
        # Exact cosines of every document at once: all the query's postings, not just the budget's.
        all_docs = np.concatenate([arrays[t][0] for t in terms])
        all_weights = np.concatenate([arrays[t][1] * query[t] for t in terms])
        exact = np.bincount(all_docs, all_weights, minlength=self.n_docs)[candidates]
        # Best first, equal scores by document number (argpartition would break ties at random and
        # the two searches would disagree); at most `prune` candidates, so a full sort is cheap.
        order = np.lexsort((candidates, -exact))[:limit]
        return [(int(d), float(c)) for d, c in zip(candidates[order], exact[order])]

    def coverage(self, query: dict[str, float], doc: int) -> float:
        """Share of the query's weight whose terms occur in the document at all (0–1).

        On an entry's profile (all its sample questions together) this says how much of the
        question the topic has words for, however the words were spread over its samples.
        """
        # The matcher asks this of a dozen entries with one query: square its weights once. One
        # (query, squares) pair, swapped whole, so threads sharing the index never mix two queries.
        cached_query, squares = self._squares
        if cached_query is not query:
            squares = {t: w ** 2 for t, w in query.items()}  # same keys, same order: the same sum below
            self._squares = (query, squares)
        return sum(squares[t] for t in squares.keys() & self.vectors[doc].keys())

    def dot(self, query: dict[str, float], doc: int) -> float:
        """Exact cosine of the query with one document."""
        vec = self.vectors[doc]
        return sum(query[t] * vec[t] for t in query.keys() & vec.keys())  # intersection done in C
