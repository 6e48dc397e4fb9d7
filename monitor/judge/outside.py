"""Openly licensed claim/passage pairs from outside FNC-1, for the cross-encoder's training.

Two natural-language-inference sets, read at pinned commits of their public repositories
(sources, licences and counts in docs/data.md): ``negation_nli`` (SNLI and MultiNLI pairs with
a negation written into the premise or the hypothesis, relabelled by hand) and
``textfooler_nli`` (1,000-pair samples of the SNLI test and MultiNLI dev sets). A hypothesis is
read as the claim and its premise as the passage: entailment -> supports, contradiction ->
contradicts, neutral -> mentions.

``scripts/fetch-outside-data`` turns the source files into JSONL under a folder the repository
ignores (``data/outside/``) with :func:`extract` and checks each file against ``SHA256``;
:func:`read` loads that folder for ``monitor stance train --outside``. Nothing here is
downloaded at run time and none of the data is kept in the repository.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from monitor.errors import ConfigError

LABELS = ("supports", "contradicts", "mentions")


@dataclass(frozen=True)
class SourceFile:
    """One file of a source repository and the JSONL it becomes."""

    path: str  # in the source repository
    out: str  # under the outside-data folder
    sha256: str  # of the JSONL written


@dataclass(frozen=True)
class Source:
    name: str
    repo: str  # owner/name on GitHub
    commit: str
    licence: str
    files: tuple[SourceFile, ...]


SOURCES = (
    Source(
        "negation_nli",
        "mosharafhossain/negation-and-nli",
        "e7848fb621c32ec43511a5bfc406fc9208baf4f8",
        "MIT (repository); premises and hypotheses from SNLI (CC BY-SA 4.0) and MultiNLI",
        (
            SourceFile(
                "data/new_benchmarks/clean_data/SNLI.txt",
                "negation_nli/snli_negation.jsonl",
                "f401561aa8a67bb8060c8cc121368e71d1809b1ae5584341ad338051126108dd",
            ),
            SourceFile(
                "data/new_benchmarks/clean_data/MNLI.txt",
                "negation_nli/mnli_negation.jsonl",
                "6867fdcf033215acdd40f801688800d0c6a65fef1f5ef552ef89e269d0948291",
            ),
        ),
    ),
    Source(
        "textfooler_nli",
        "jind11/TextFooler",
        "6a56cb10f1055e00a8fbc6882f289e91cfe60f4e",
        "MIT (repository); pairs from SNLI (CC BY-SA 4.0) and MultiNLI",
        (
            SourceFile(
                "data/snli",
                "textfooler_nli/snli.jsonl",
                "bc78c57a4be02ae55eab61f6ea223b64f83354b1f38c01ba4789f34c6d541dcb",
            ),
            SourceFile(
                "data/mnli_matched",
                "textfooler_nli/mnli_matched.jsonl",
                "ecf80e97f5670a7eb182bc65e4f6aba97bc1e6abda02762a3643aff328d56c65",
            ),
            SourceFile(
                "data/mnli_mismatched",
                "textfooler_nli/mnli_mismatched.jsonl",
                "574a292589bbc6e10f973050fb85f28b52ea37146f1937ac25b67286564a2694",
            ),
        ),
    ),
)

_NLI = {"entailment": "supports", "contradiction": "contradicts", "neutral": "mentions"}
# TextFooler's MultiNLI files number the classes (checked against their sentences).
_NUMBERED = {**_NLI, "0": "supports", "1": "mentions", "2": "contradicts"}


@dataclass(frozen=True)
class OutsidePair:
    claim: str
    text: str
    label: str  # supports, contradicts or mentions
    source: str  # the Source's name


def extract(source: str, path: str, raw: bytes) -> list[str]:
    """JSONL lines (claim, text, label, source) of one source file's bytes."""
    if source == "negation_nli":
        return list(_negation(path, raw))
    if source == "textfooler_nli":
        return list(_textfooler(path, raw))
    raise ValueError(f"no extractor for {source!r}")


def _line(claim: str, text: str, label: str, origin: str) -> str:
    record = {"claim": claim, "text": text, "label": label, "source": origin}
    return json.dumps(record)


def _negation(path: str, raw: bytes) -> Iterator[str]:
    """Tab-separated index, premise, hypothesis, label after a header; the files are cp1252."""
    origin = Path(path).stem  # SNLI or MNLI
    for row in raw.decode("cp1252", errors="replace").splitlines()[1:]:
        fields = row.split("\t")
        label = _NLI.get(fields[-1].strip()) if len(fields) == 4 else None
        if label is not None:
            yield _line(fields[2], fields[1], label, origin)


def _textfooler(path: str, raw: bytes) -> Iterator[str]:
    """Tab-separated label, premise, hypothesis, one pair a line, no header."""
    origin = Path(path).name  # snli, mnli_matched, mnli_mismatched
    for row in raw.decode("utf-8").splitlines():
        fields = row.split("\t")
        label = _NUMBERED.get(fields[0].strip()) if len(fields) == 3 else None
        if label is not None:
            yield _line(fields[2], fields[1], label, origin)


def write(
    folder: Path, show: Callable[[Source, str], bytes], sources: Sequence[Source] = SOURCES
) -> list[str]:
    """Extract every source file (its bytes from ``show(source, path)``) into ``folder``.

    Returns one line per file written whose SHA-256 is not the recorded one (empty: all match).
    """
    wrong = []
    for source in sources:
        for file in source.files:
            lines = extract(source.name, file.path, show(source, file.path))
            path = folder / file.out
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
            if sha256(path) != file.sha256:
                wrong.append(f"{path}: sha256 {sha256(path)}, recorded {file.sha256}")
    return wrong


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read(
    folder: Path, check: bool = True, sources: Sequence[Source] = SOURCES
) -> list[OutsidePair]:
    """Every pair of every source file under ``folder``, in file order.

    ``check``: refuse a file whose SHA-256 is not the one recorded (a different extraction
    would train a different model).
    """
    pairs: list[OutsidePair] = []
    for source in sources:
        for file in source.files:
            path = folder / file.out
            if not path.is_file():
                raise ConfigError(f"{path}: missing; run scripts/fetch-outside-data {folder}")
            if check and sha256(path) != file.sha256:
                raise ConfigError(f"{path}: not the recorded extraction (sha256 differs)")
            pairs += _pairs(path, source.name)
    return pairs


def _pairs(path: Path, source: str) -> list[OutsidePair]:
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        record = json.loads(line)
        if record.get("label") not in LABELS:
            raise ConfigError(f"{path}:{number}: label {record.get('label')!r}")
        claim, text = detokenize(str(record["claim"])), detokenize(str(record["text"]))
        pairs.append(OutsidePair(claim, text, record["label"], source))
    return pairs


_BEFORE = re.compile(r" (?=[.,;:?!%)]|n't\b|'(?:s|re|ve|ll|d|m)\b)")


def detokenize(text: str) -> str:
    """Undo Penn-Treebank spacing ("do n't", "Paris ."), which news text never has."""
    return _BEFORE.sub("", text).replace("( ", "(").strip()
