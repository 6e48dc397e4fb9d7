"""Outside training data: extracting the NLI source files, checking and reading them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from monitor.errors import ConfigError
from monitor.judge.cross_training import CAPS, CAPS_WITH_OUTSIDE, outside_examples
from monitor.judge.outside import (
    OutsidePair,
    Source,
    SourceFile,
    detokenize,
    extract,
    read,
    write,
)
from tests.support.cli import run_cli
from tests.support.fnc import claims_fnc

FIXTURES = Path(__file__).parent.parent / "fixtures" / "outside"
NEGATION = "data/new_benchmarks/clean_data/SNLI.txt"


def _records(lines: list[str]) -> list[dict[str, str]]:
    return [json.loads(line) for line in lines]


def test_negation_pairs_read_the_hypothesis_as_the_claim_in_cp1252() -> None:
    lines = extract("negation_nli", NEGATION, (FIXTURES / "SNLI.txt").read_bytes())
    assert _records(lines) == [
        {
            "claim": "A man rides a bicycle.",
            "text": "A man is not riding a bicycle past the café.",
            "label": "contradicts",
            "source": "SNLI",
        },
        {
            "claim": "The dogs are not asleep.",
            "text": "Two dogs run across a field.",
            "label": "supports",
            "source": "SNLI",
        },
        {
            "claim": "The woman is not lost.",
            "text": "A woman holds a map.",
            "label": "mentions",
            "source": "SNLI",
        },
    ]


def test_textfooler_numbers_its_multinli_classes() -> None:
    raw = (FIXTURES / "mnli_matched").read_bytes()
    records = _records(extract("textfooler_nli", "data/mnli_matched", raw))
    assert [(r["claim"], r["label"], r["source"]) for r in records] == [
        ("The budget was approved .", "supports", "mnli_matched"),
        ("The shipment went to the port .", "mentions", "mnli_matched"),
        ("The bridge is closed .", "contradicts", "mnli_matched"),
    ]


def test_an_unknown_source_has_no_extractor() -> None:
    with pytest.raises(ValueError, match="no extractor"):
        extract("perspectrum", "x.json", b"{}")


def _source(sha: str) -> Source:
    file = SourceFile("data/mnli_matched", "textfooler_nli/mnli_matched.jsonl", sha)
    return Source("textfooler_nli", "example/textfooler", "0" * 40, "MIT", (file,))


def _expected_sha() -> str:
    raw = (FIXTURES / "mnli_matched").read_bytes()
    text = "".join(line + "\n" for line in extract("textfooler_nli", "data/mnli_matched", raw))
    return hashlib.sha256(text.encode()).hexdigest()


def test_fetching_writes_the_jsonl_and_flags_an_extraction_that_differs(tmp_path: Path) -> None:
    asked = []

    def show(source: Source, path: str) -> bytes:
        asked.append((source.commit, path))
        return (FIXTURES / "mnli_matched").read_bytes()

    assert write(tmp_path, show, [_source(_expected_sha())]) == []
    assert asked == [("0" * 40, "data/mnli_matched")]
    assert len((tmp_path / "textfooler_nli" / "mnli_matched.jsonl").read_text().splitlines()) == 3
    wrong = write(tmp_path, show, [_source("f" * 64)])
    assert len(wrong) == 1 and "recorded ffff" in wrong[0]


def test_reading_detokenizes_and_refuses_a_changed_or_missing_file(tmp_path: Path) -> None:
    def show(source: Source, path: str) -> bytes:
        return (FIXTURES / "mnli_matched").read_bytes()

    source = _source(_expected_sha())
    write(tmp_path, show, [source])
    pairs = read(tmp_path, sources=[source])
    assert pairs[1] == OutsidePair(
        "The shipment went to the port.",
        "She didn't say where the shipment went.",
        "mentions",
        "textfooler_nli",
    )
    path = tmp_path / "textfooler_nli" / "mnli_matched.jsonl"
    path.write_text(path.read_text().replace("closed", "open"))
    with pytest.raises(ConfigError, match="sha256 differs"):
        read(tmp_path, sources=[source])
    assert read(tmp_path, check=False, sources=[source])[2].claim == "The bridge is open."
    with pytest.raises(ConfigError, match="scripts/fetch-outside-data"):
        read(tmp_path / "elsewhere", sources=[source])


def test_detokenize_leaves_ordinary_text_alone() -> None:
    assert detokenize("Tehran said it had n't sent drones ( none ) .") == (
        "Tehran said it hadn't sent drones (none)."
    )
    plain = "Officials said: \"We can't confirm it.\" It's 5% lower."
    assert detokenize(plain) == plain


def test_outside_pairs_join_training_within_their_caps_as_fnc_classes() -> None:
    pairs = [
        OutsidePair(f"claim {i}", f"text {i}", label, source)
        for source in ("negation_nli", "textfooler_nli", "perspectrum")
        for label in ("supports", "contradicts", "mentions")
        for i in range(1000)
    ]
    examples = outside_examples(pairs, CAPS_WITH_OUTSIDE, np.random.RandomState(1))
    counts: dict[tuple[str, int], int] = {}
    for e in examples:
        counts[(e.source, e.label)] = counts.get((e.source, e.label), 0) + 1
    # head classes: 1 discuss (mentions), 2 agree (supports), 3 disagree (contradicts)
    assert counts == {
        ("negation_nli", 2): 250,
        ("negation_nli", 3): 750,
        ("negation_nli", 1): 250,
        ("textfooler_nli", 2): 250,
        ("textfooler_nli", 3): 750,
        ("textfooler_nli", 1): 250,
    }
    assert outside_examples(pairs, CAPS, np.random.RandomState(1)) == []


def test_train_refuses_outside_data_for_the_builtin_model(tmp_path: Path) -> None:
    data = claims_fnc(tmp_path / "fnc")
    args = ["stance", "train", "--model", "builtin", "--data", str(data)]
    result = run_cli([*args, "--outside", str(tmp_path / "outside")])
    assert result.exit_code == 1
    assert "--outside: for the crossencoder only" in result.output
