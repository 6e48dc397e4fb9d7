"""What editors' stance corrections say about the stance model on this desk's own reporting
(pure): the model's readings against the editors', and the corrected items as a desk set.

Every alert an editor leaves alone counts as read right; each one whose stance an editor set
(the stance menu under a Slack alert, the claim page, the API) counts as read wrong. That is
the one figure measured on the reporting and the claims a desk actually has: what it says
depends on how many alerts editors look at, so it is an upper bound on accuracy, and the
corrections themselves are the set the next model is judged (and may be trained) on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from monitor.types import Stance, StanceCorrection


@dataclass(frozen=True)
class CorrectionSummary:
    """The alerts raised, how many editors corrected, and which way."""

    alerted: int
    corrected: int
    confusion: dict[tuple[Stance, Stance], int]  # (model, editor) -> corrections
    by_editor: dict[str, int]

    @property
    def left_alone(self) -> float | None:
        """Share of alerts whose stance no editor changed (None without alerts)."""
        return (self.alerted - self.corrected) / self.alerted if self.alerted else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "alerted": self.alerted,
            "corrected": self.corrected,
            "left_alone": None if self.left_alone is None else round(self.left_alone, 4),
            "corrections": [
                {"model": m.value, "editor": e.value, "count": n}
                for (m, e), n in sorted(self.confusion.items())
            ],
            "by_editor": dict(sorted(self.by_editor.items())),
        }

    def report(self) -> str:
        if not self.alerted:
            return "no alerts yet: nothing to measure"
        share = self.left_alone or 0.0
        lines = [
            f"{self.alerted} alerts, {self.corrected} with the stance corrected by an editor "
            f"({share:.1%} left as the model read them)"
        ]
        for (model, editor), count in sorted(
            self.confusion.items(), key=lambda kv: (-kv[1], kv[0])
        ):
            lines.append(f"  model {model.value:<11} -> editor {editor.value:<11} {count}")
        return "\n".join(lines)


def summarize(corrections: Sequence[StanceCorrection], alerted: int) -> CorrectionSummary:
    """The corrections against the ``alerted`` evidence they were made on."""
    confusion = Counter((c.model_stance, c.stance) for c in corrections)
    editors = Counter(c.corrected_by for c in corrections)
    return CorrectionSummary(alerted, len(corrections), dict(confusion), dict(editors))


def as_desk_items(corrections: Sequence[StanceCorrection]) -> list[dict[str, Any]]:
    """The corrected items as desk-set records (``bench/deskset``'s fields: claim, title, body,
    label, who holds it), with the model's reading and who corrected it: what the next model
    is evaluated on. The editor's stance is the label."""
    return [
        {
            "claim": c.claim_text,
            "claim_key": c.claim_key,
            "title": c.item_title,
            "body": c.item_text,
            "url": c.item_url,
            "label": c.stance.value,
            "model": c.model_stance.value,
            "quote": c.quote,
            "attribution": c.holder or None,
            "corrected_by": c.corrected_by,
            "corrected_at": c.corrected_at.isoformat(),
        }
        for c in corrections
    ]
