"""Features for the built-in stance model: how a text relates to a claim (pure numpy).

Two groups: **relatedness** (is the article about the claim at all: embedding similarity of
the claim to the article's closest sentences, word overlap) and **stance cues** (how denials,
refutations, hedges and reported speech are written, counted where the article is closest to
the claim and over the whole article; negation that the claim lacks). Lexicons describe
language, not any one dataset, so they carry over to news the model never saw.
"""

from __future__ import annotations

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
    erroneous photoshopped doctored misinformation disinformation propaganda"""
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
    admits admit acknowledged acknowledges indeed actually"""
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
