"""FNC-1 files and scoring: read stance/body CSVs, write predictions, score them.

FNC-1 labels map to monitor's stances: agree -> supports, disagree -> contradicts,
discuss -> mentions, unrelated -> unrelated. The FNC-1 score gives 0.25 for getting
related/unrelated right and 0.75 more for the exact label of a related pair.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from monitor.errors import ParseError
from monitor.types import Stance

LABELS = ("agree", "disagree", "discuss", "unrelated")
TO_STANCE = {
    "agree": Stance.SUPPORTS,
    "disagree": Stance.CONTRADICTS,
    "discuss": Stance.MENTIONS,
    "unrelated": Stance.UNRELATED,
}
TO_LABEL = {stance: label for label, stance in TO_STANCE.items()}
RELATED = frozenset(LABELS[:3])
# What a stance model's ``predict_fnc`` is handed to show its progress over a loop (tqdm).
Progress = Callable[[Iterable[int]], Iterable[int]]

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass(frozen=True)
class Pair:
    """One row of an FNC-1 stances file: a headline (the claim) and the body it is paired with."""

    headline: str
    body_id: str
    label: str | None = None


def read_pairs(path: Path) -> list[Pair]:
    """Rows of a stances file (`Headline`, `Body ID`, optional `Stance`)."""
    rows = _read(path, required=("Headline", "Body ID"))
    pairs = []
    for line, row in rows:
        headline, body_id = _field(row, "Headline", path, line), _field(row, "Body ID", path, line)
        label = (row.get("Stance") or "").strip() or None
        if label is not None and label not in LABELS:
            raise ParseError(f"{path}:{line}: unknown stance {label!r} (expected one of {LABELS})")
        pairs.append(Pair(headline, body_id.strip(), label))
    return pairs


def read_bodies(path: Path) -> dict[str, str]:
    """Body ID -> article text from a bodies file (`Body ID`, `articleBody`); a Body ID given
    twice is an error (which text was meant?)."""
    bodies: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for line, row in _read(path, ("Body ID", "articleBody")):
        body_id = _field(row, "Body ID", path, line).strip()
        text = _field(row, "articleBody", path, line)
        if body_id in bodies:
            first = first_line[body_id]
            raise ParseError(
                f"{path}:{line}: Body ID {body_id!r} given twice (first on line {first})"
            )
        bodies[body_id], first_line[body_id] = text, line
    return bodies


def _field(row: dict[str, str], column: str, path: Path, line: int) -> str:
    """A row's value in ``column``; a short row (no such value) is the file's problem."""
    value = row.get(column)
    if value is None or (column == "Body ID" and not value.strip()):
        raise ParseError(f"{path}:{line}: the row has no {column}")
    return value


def check_bodies(pairs: Sequence[Pair], bodies: dict[str, str], path: Path) -> None:
    missing = sorted({p.body_id for p in pairs} - bodies.keys())
    if missing:
        raise ParseError(f"{path}: no body for Body ID {', '.join(missing[:5])}")


def write_predictions(path: Path, pairs: Sequence[Pair], labels: Sequence[str]) -> None:
    """Write `Headline,Body ID,Stance` rows in the same order as ``pairs``."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["Headline", "Body ID", "Stance"])
        for pair, label in zip(pairs, labels, strict=True):
            writer.writerow([pair.headline, pair.body_id, label])


def _read(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                raise ParseError(f"{path}: missing column(s) {', '.join(missing)}")
            rows = []
            start = reader.line_num + 1  # a quoted value may span lines: where each row starts
            for row in reader:
                rows.append((start, row))
                start = reader.line_num + 1
            return rows
    except OSError as err:
        raise ParseError(f"{path}: cannot read: {err}") from err
    except (csv.Error, UnicodeDecodeError) as err:
        raise ParseError(f"{path}: not a readable CSV file: {err}") from err


@dataclass(frozen=True)
class Scores:
    """FNC-1 score, macro-F1, per-class F1, confusion matrix (rows gold, columns predicted)."""

    score: float
    max_score: float
    macro_f1: float
    f1: dict[str, float]
    confusion: list[list[int]]
    count: int

    @property
    def relative(self) -> float:
        return self.score / self.max_score if self.max_score else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "fnc_score": self.score,
            "fnc_max": self.max_score,
            "fnc_relative": round(self.relative, 4),
            "macro_f1": round(self.macro_f1, 4),
            "f1": {k: round(v, 4) for k, v in self.f1.items()},
            "labels": list(LABELS),
            "confusion": self.confusion,
            "pairs": self.count,
        }

    def report(self) -> str:
        lines = [
            f"pairs: {self.count}",
            f"FNC-1 score: {self.score:.2f} of {self.max_score:.2f} (relative {self.relative:.4f})",
            f"macro-F1: {self.macro_f1:.4f}",
            "F1: " + ", ".join(f"{k} {v:.4f}" for k, v in self.f1.items()),
            "confusion (rows gold, columns predicted):",
            "             " + "".join(f"{label:>11}" for label in LABELS),
        ]
        for label, row in zip(LABELS, self.confusion, strict=True):
            lines.append(f"  {label:>10} " + "".join(f"{n:>11}" for n in row))
        return "\n".join(lines)


def score(gold: Sequence[str], predicted: Sequence[str]) -> Scores:
    """Score predicted FNC-1 labels against gold labels."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    index = {label: i for i, label in enumerate(LABELS)}
    confusion = [[0] * len(LABELS) for _ in LABELS]
    total = best = 0.0
    for g, p in zip(gold, predicted, strict=True):
        confusion[index[g]][index[p]] += 1
        best += 1.0 if g in RELATED else 0.25
        if g == p:
            total += 0.25 + (0.75 if g in RELATED else 0.0)
        elif g in RELATED and p in RELATED:
            total += 0.25
    f1 = {}
    for i, label in enumerate(LABELS):
        tp = confusion[i][i]
        fp = sum(confusion[r][i] for r in range(len(LABELS))) - tp
        fn = sum(confusion[i]) - tp
        f1[label] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    macro = sum(f1.values()) / len(f1)
    return Scores(total, best, macro, f1, confusion, len(gold))
