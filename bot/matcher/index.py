"""Sparse TF-IDF vectors with an inverted index: candidate retrieval without scanning every entry."""
from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

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
        return index

    def term_idf(self, term: str) -> float:
        # A word the knowledge base never uses is as informative as the rarest one: it counts in
        # the query's length, so "电动车上牌" is not mistaken for a close match of "上门评残".
        return self.idf.get(term, math.log((self.n_docs + 1) / 0.5))

    def weigh(self, terms: dict[str, int]) -> dict[str, float]:
        """Sublinear tf × idf × family weight, L2-normalised."""
        idf, unseen, family, damp = self.idf, self.term_idf(""), self.family_weight, self.damp
        vec = {t: (1.0 + math.log(tf) if tf > 1 else 1.0) * idf.get(t, unseen) * family.get(t[:2], 1.0)
               * damp.get(t, 1.0) for t, tf in terms.items()}
        norm = math.sqrt(sum(w * w for w in vec.values())) or 1.0
        return {t: w / norm for t, w in vec.items()}

    def search(self, query: dict[str, float], limit: int, budget: int = POSTINGS_BUDGET,
               prune: int = PRUNE) -> list[tuple[int, float]]:
        """Top documents by cosine: gather candidates from the rarest terms' postings (within the
        budget), keep the best `prune` by that partial score, then score those exactly."""
        scores: dict[int, float] = {}
        visited = 0
        postings = self.postings
        terms = sorted((t for t in query if t in postings), key=lambda t: len(postings[t]))
        for k, term in enumerate(terms):
            plist = postings[term]
            if visited + len(plist) > budget:
                if k >= MIN_TERMS:
                    break
                plist = plist[:max(budget - visited, MIN_TAKE)]  # a common word: its best documents
            visited += len(plist)
            qw = query[term]
            get = scores.get
            for doc, weight in plist:
                scores[doc] = get(doc, 0.0) + qw * weight
        if len(scores) > prune:
            scores = dict(heapq.nlargest(prune, scores.items(), key=lambda kv: kv[1]))
        exact = [(doc, self.dot(query, doc)) for doc in scores]
        return heapq.nlargest(limit, exact, key=lambda kv: kv[1])

    def coverage(self, query: dict[str, float], doc: int) -> float:
        """Share of the query's weight whose terms occur in the document at all (0–1).

        On an entry's profile (all its sample questions together) this says how much of the
        question the topic has words for, however the words were spread over its samples.
        """
        return sum(query[t] ** 2 for t in query.keys() & self.vectors[doc].keys())

    def dot(self, query: dict[str, float], doc: int) -> float:
        """Exact cosine of the query with one document."""
        vec = self.vectors[doc]
        return sum(query[t] * vec[t] for t in query.keys() & vec.keys())  # intersection done in C
