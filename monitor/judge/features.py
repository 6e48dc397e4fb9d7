"""Features for the built-in stance model: how a text relates to a claim (pure numpy).

Two groups: **relatedness** (is the article about the claim at all: embedding similarity of
the claim to the article's closest sentences, word overlap, TF-IDF overlap) and **stance cues**
(how denials, refutations, hedges and reported speech are written, counted where the article is
closest to the claim, next to the claim's own words and over the whole article; negation that
the claim lacks; similarity to prototype refuting / hedging / confirming sentences). Lexicons
describe language, not any one dataset, so they carry over to news the model never saw.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float32]


def _lexicon(text: str) -> frozenset[str]:
    return frozenset(text.split())


REFUTE = _lexicon(
    """fake fakes faked fraud fraudulent hoax hoaxes false falsely deny denies denied denying
    denial denials bogus debunk debunked debunks debunking prank pranks pranked retract retracts
    retracted retraction untrue incorrect inaccurate refute refutes refuted refuting reject
    rejects rejected rejecting dismiss dismisses dismissed baseless groundless unfounded
    misleading fabricated fabrication fiction fictional satire satirical myth myths lie lies lied
    lying nonsense absurd ridiculous contrary disproved disputes disputed dispute wrong mistaken
    erroneous photoshopped doctored misinformation disinformation propaganda scam scams spoof
    spoofs parody rubbish"""
)
HEDGE = _lexicon(
    """reportedly allegedly alleged alleges claims claim claimed claiming purportedly purported
    apparently rumor rumors rumour rumours rumored rumoured unconfirmed unverified speculation
    speculated speculate may might could possibly perhaps seemingly supposedly suggests suggest
    suggested appears appear seems seem believed thought unclear uncertain if whether
    according report reports reported sources source"""
)
CONFIRM = _lexicon(
    """confirmed confirms confirm confirming verified verifies proof proved proves proven
    evidence shows showed shown official officially announced announces announce admitted
    admits admit acknowledged acknowledges indeed actually true genuine authentic real"""
)
REPORT = _lexicon(
    """according report reports reported sources source said says told tells statement spokesman
    spokeswoman spokesperson tweeted posted wrote"""
)
NEGATION = _lexicon("not no never none nothing nobody neither nor without cannot n't")
STOP = _lexicon(
    """a an the of to in on at for from by with and or but is are was were be been being has
    have had it its this that these those as into over after before about than then there their
    they he she his her we our you your i will would can could may might should says said say
    new also not no"""
)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|n't")
TOP_K = 3


def words(text: str) -> list[str]:
    """Lower-case word tokens (``don't`` also yields ``n't`` for negation)."""
    lowered = text.lower().replace("’", "'")
    tokens = _WORD.findall(lowered)
    return tokens + ["n't"] * lowered.count("n't")


def _rate(tokens: Sequence[str], lexicon: frozenset[str]) -> float:
    return sum(1 for t in tokens if t in lexicon) / max(1, len(tokens)) * 10.0


def _has(tokens: Sequence[str], lexicon: frozenset[str]) -> float:
    return 1.0 if any(t in lexicon for t in tokens) else 0.0


def _content(tokens: Sequence[str]) -> set[str]:
    return {t for t in tokens if t not in STOP and len(t) > 2}


@dataclass(frozen=True)
class Article:
    """An article prepared for feature extraction: sentences, their vectors and tokens."""

    sentences: tuple[str, ...]
    vectors: Array  # sentences x dim, L2-normalised
    tokens: tuple[tuple[str, ...], ...]

    @classmethod
    def build(cls, sentences: Sequence[str], vectors: Array) -> Article:
        return cls(tuple(sentences), vectors, tuple(tuple(words(s)) for s in sentences))


RELATEDNESS_NAMES = (
    "cos_max",
    "cos_top3",
    "cos_mean",
    "cos_lead",
    "overlap",
    "overlap_top",
    "rare_overlap",
)
CUE_NAMES = (
    "refute_top",
    "hedge_top",
    "confirm_top",
    "neg_top",
    "question_top",
    "quote_top",
    "refute_all",
    "hedge_all",
    "confirm_all",
    "neg_all",
    "question_all",
    "refute_lead",
    "hedge_lead",
    "neg_mismatch",
    "refute_claim",
    "hedge_claim",
    "neg_claim",
    "question_claim",
    "refute_first",
    "cos_refute_sent",
    "cos_hedge_sent",
)


def closest(claim_vector: Array, article: Article, k: int = TOP_K) -> np.ndarray:
    """Indices of the article's ``k`` sentences closest to the claim, closest first."""
    if not len(article.sentences):
        return np.zeros(0, dtype=np.int64)
    similarity = article.vectors @ claim_vector
    return np.argsort(-similarity, kind="stable")[:k]


def relatedness(claim: str, claim_vector: Array, article: Article) -> Array:
    """How much the article is about the claim."""
    if not article.sentences:
        return np.zeros(len(RELATEDNESS_NAMES), dtype=np.float32)
    similarity = article.vectors @ claim_vector
    top = np.sort(similarity)[::-1]
    claim_words = _content(words(claim))
    body_words = _content([t for s in article.tokens for t in s])
    near = closest(claim_vector, article)
    near_words = _content([t for i in near for t in article.tokens[int(i)]])
    rare = {w for w in claim_words if len(w) > 6 or w[0].isdigit()}
    denominator = max(1, len(claim_words))
    return np.array(
        [
            top[0],
            top[:TOP_K].mean(),
            similarity.mean(),
            similarity[:2].max(),
            len(claim_words & body_words) / denominator,
            len(claim_words & near_words) / denominator,
            len(rare & body_words) / max(1, len(rare)),
        ],
        dtype=np.float32,
    )


def cues(claim: str, claim_vector: Array, article: Article) -> Array:
    """Stance cues where the article is closest to the claim, in its lead and overall."""
    if not article.sentences:
        return np.zeros(len(CUE_NAMES), dtype=np.float32)
    near = [int(i) for i in closest(claim_vector, article)]
    top = [t for i in near for t in article.tokens[i]]
    every = [t for s in article.tokens for t in s]
    lead = [t for s in article.tokens[:3] for t in s]
    claim_tokens = words(claim)
    similarity = article.vectors @ claim_vector
    refuting = [i for i, s in enumerate(article.tokens) if _has(s, REFUTE)]
    hedging = [i for i, s in enumerate(article.tokens) if _has(s, HEDGE)]
    return np.array(
        [
            _rate(top, REFUTE),
            _rate(top, HEDGE),
            _rate(top, CONFIRM),
            _rate(top, NEGATION),
            sum(article.sentences[i].count("?") for i in near) / len(near),
            sum(article.sentences[i].count('"') + article.sentences[i].count("“") for i in near)
            / len(near),
            _rate(every, REFUTE),
            _rate(every, HEDGE),
            _rate(every, CONFIRM),
            _rate(every, NEGATION),
            sum(s.count("?") for s in article.sentences) / len(article.sentences),
            _rate(lead, REFUTE),
            _rate(lead, HEDGE),
            abs(_has(top, NEGATION) - _has(claim_tokens, NEGATION)),
            _has(claim_tokens, REFUTE),
            _has(claim_tokens, HEDGE),
            _has(claim_tokens, NEGATION),
            1.0 if "?" in claim else 0.0,
            (refuting[0] / len(article.sentences)) if refuting else 1.0,
            float(similarity[refuting].max()) if refuting else 0.0,
            float(similarity[hedging].max()) if hedging else 0.0,
        ],
        dtype=np.float32,
    )


def interaction(claim_vector: Array, article: Article) -> Array:
    """Elementwise product and difference of the claim and its closest sentences' mean."""
    near = closest(claim_vector, article)
    if not len(near):
        return np.zeros(2 * claim_vector.shape[0], dtype=np.float32)
    mean = article.vectors[near].mean(axis=0)
    return np.concatenate([claim_vector * mean, np.abs(claim_vector - mean)]).astype(np.float32)


# Phrases that state outright that something did not happen or is not so.
DENIAL_PHRASES = (
    "no evidence",
    "not true",
    "not real",
    "no truth",
    "no proof",
    "did not",
    "didn't",
    "has not",
    "hasn't",
    "is not",
    "isn't",
    "was not",
    "wasn't",
    "never happened",
    "turned out",
    "fact check",
    "no such",
    "not the case",
)
# Short sentences in the voice of a refutation, a hedge and a confirmation; their mean
# embeddings (computed at training time, stored with the weights) are the prototypes.
PROTOTYPES = {
    "refute": (
        "The report is false.",
        "The story turned out to be a hoax.",
        "Officials denied the claim.",
        "There is no evidence that this happened.",
        "The photo is fake.",
        "The rumour has been debunked.",
        "He denied the reports, calling them untrue.",
        "The company said the report was not true.",
    ),
    "hedge": (
        "It is not clear whether the report is true.",
        "The claim could not be independently verified.",
        "The report has not been confirmed.",
        "If true, it would be the first such case.",
        "Reports claim that this happened.",
    ),
    "confirm": (
        "Officials confirmed the report.",
        "The company confirmed the news in a statement.",
        "Police said the incident did happen.",
        "It is true.",
    ),
}
CONTEXT_LEXICONS = (REFUTE, HEDGE, REPORT, CONFIRM, NEGATION)
NEAR_WINDOW = 5


def _near(tokens: Sequence[str], keys: set[str], lexicon: frozenset[str]) -> int:
    """Lexicon words within ``NEAR_WINDOW`` tokens of one of the claim's key words."""
    positions = [i for i, t in enumerate(tokens) if t in keys]
    if not positions:
        return 0
    return sum(
        1
        for i, t in enumerate(tokens)
        if t in lexicon and any(abs(i - j) <= NEAR_WINDOW for j in positions)
    )


def context_cues(claim: str, claim_vector: Array, article: Article, prototypes: Array) -> Array:
    """Where and how close to the claim's key words the article refutes, hedges or reports.

    Per lexicon: rates near the claim, in the lead and overall, the similarity-weighted share
    of sentences using it, whether the claim does, and lexicon words within a few tokens of
    the claim's content words; then denial phrases, questions, quotes, and the similarity of
    the sentences to refuting / hedging / confirming prototypes.
    """
    n = len(article.sentences)
    if not n:
        return np.zeros(56, dtype=np.float32)
    similarity = article.vectors @ claim_vector
    order = np.argsort(-similarity, kind="stable")
    top, top5 = [int(i) for i in order[:TOP_K]], [int(i) for i in order[:5]]
    claim_tokens = words(claim)
    keys = _content(claim_tokens)
    near_tokens = [t for i in top for t in article.tokens[i]]
    lead = [t for s in article.tokens[:3] for t in s]
    every = [t for s in article.tokens for t in s]
    weight = np.exp(10.0 * (similarity - similarity.max()))
    weight /= weight.sum()
    out: list[float] = []
    for lexicon in CONTEXT_LEXICONS:
        using = np.array([_has(s, lexicon) for s in article.tokens])
        out += [
            _rate(near_tokens, lexicon),
            _rate(lead, lexicon),
            _rate(every, lexicon),
            float(weight @ using),
            _has(claim_tokens, lexicon),
            float(max(_near(article.tokens[i], keys, lexicon) for i in top5)),
            float(sum(_near(s, keys, lexicon) for s in article.tokens)),
        ]
    refuting = [i for i, s in enumerate(article.tokens) if _has(s, REFUTE)]
    out += [
        refuting[0] / n if refuting else 1.0,
        float(similarity[refuting].max()) if refuting else 0.0,
    ]
    lowered = [s.lower() for s in article.sentences]
    near_text = " ".join(lowered[i] for i in top5)
    out += [
        float(sum(near_text.count(p) for p in DENIAL_PHRASES)),
        sum(s.count(p) for s in lowered for p in DENIAL_PHRASES) / n,
        sum(article.sentences[i].count("?") for i in top) / TOP_K,
        sum(s.count("?") for s in article.sentences) / n,
        1.0 if "?" in claim else 0.0,
        sum(article.sentences[i].count('"') + article.sentences[i].count("“") for i in top) / TOP_K,
    ]
    to_prototype = article.vectors @ prototypes.T
    out += [*to_prototype.max(axis=0), *to_prototype[top5].max(axis=0), *(weight @ to_prototype)]
    out += [*(prototypes @ claim_vector)]
    out.append(abs(_has(near_tokens, NEGATION) - _has(claim_tokens, NEGATION)))
    return np.array(out, dtype=np.float32)


def prototype_texts() -> list[tuple[str, ...]]:
    """The prototype sentences, in the order of the prototype vectors."""
    return [PROTOTYPES[name] for name in ("refute", "hedge", "confirm")]


@dataclass(frozen=True)
class Idf:
    """Inverse document frequency of content words, from the training texts (bodies, claims)."""

    weights: dict[str, float]
    unseen: float

    @classmethod
    def fit(cls, texts: Sequence[str], min_df: int = 2) -> Idf:
        """Smoothed IDF (as scikit-learn computes it) of words in at least ``min_df`` texts."""
        counts: dict[str, int] = {}
        for text in texts:
            for word in _content(words(text)):
                counts[word] = counts.get(word, 0) + 1
        n = len(texts)
        weights = {
            w: float(np.log((1 + n) / (1 + df)) + 1)
            for w, df in sorted(counts.items())
            if df >= min_df
        }
        return cls(weights, float(np.log((1 + n) / 2) + 1))

    def vector(self, tokens: Sequence[str]) -> dict[str, float]:
        """Sublinear TF-IDF of the content words, L2-normalised."""
        tf: dict[str, int] = {}
        for t in tokens:
            if t not in STOP and len(t) > 2:
                tf[t] = tf.get(t, 0) + 1
        vec = {w: (1 + np.log(c)) * self.weights.get(w, self.unseen) for w, c in tf.items()}
        norm = float(np.sqrt(sum(v * v for v in vec.values()))) or 1.0
        return {w: float(v) / norm for w, v in vec.items()}


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(w, 0.0) for w, v in a.items())


OVERLAP_NAMES = (
    "tfidf_body",
    "tfidf_sentence_max",
    "idf_overlap",
    "idf_overlap_top",
    "shared_bigrams",
    "claim_words",
    "log_sentences",
    "share_cos_0.5",
    "count_cos_0.4",
)


def overlap(claim: str, claim_vector: Array, article: Article, idf: Idf) -> Array:
    """Word-level relatedness weighted by rarity (TF-IDF), and how much of the article is close."""
    if not article.sentences:
        return np.zeros(len(OVERLAP_NAMES), dtype=np.float32)
    claim_tokens = words(claim)
    claim_vec = idf.vector(claim_tokens)
    every = [t for s in article.tokens for t in s]
    similarity = article.vectors @ claim_vector
    near = closest(claim_vector, article)
    near_words = {t for i in near for t in article.tokens[int(i)]}
    keys = _content(claim_tokens)
    body_words = set(every)
    # fsum: exact, so the result does not depend on the sets' (hash-seeded) order.
    total = math.fsum(idf.weights.get(w, idf.unseen) for w in keys) or 1.0
    claim_bigrams = set(itertools.pairwise(claim_tokens))
    body_bigrams = {b for s in article.tokens for b in itertools.pairwise(s)}
    return np.array(
        [
            _dot(claim_vec, idf.vector(every)),
            max(_dot(claim_vec, idf.vector(s)) for s in article.tokens),
            math.fsum(idf.weights.get(w, idf.unseen) for w in keys & body_words) / total,
            math.fsum(idf.weights.get(w, idf.unseen) for w in keys & near_words) / total,
            len(claim_bigrams & body_bigrams),
            len(keys),
            np.log1p(len(article.sentences)),
            float((similarity > 0.5).mean()),
            float((similarity > 0.4).sum()),
        ],
        dtype=np.float32,
    )
