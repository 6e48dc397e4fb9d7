"""FNC-1 scoring, checked by hand on small cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import ParseError
from monitor.judge.fnc import Pair, read_bodies, read_pairs, score, write_predictions


def test_score_follows_the_fnc1_rules() -> None:
    gold = ["agree", "disagree", "discuss", "unrelated", "unrelated"]
    predicted = ["agree", "discuss", "unrelated", "unrelated", "agree"]
    scores = score(gold, predicted)
    # agree right: 1.0; disagree->discuss: 0.25 (related right); discuss->unrelated: 0;
    # unrelated right: 0.25; unrelated->agree: 0.  Max: 1 + 1 + 1 + 0.25 + 0.25.
    assert scores.score == pytest.approx(1.5)
    assert scores.max_score == pytest.approx(3.5)
    assert scores.relative == pytest.approx(1.5 / 3.5)
    assert scores.f1["agree"] == pytest.approx(2 / 3)
    assert scores.f1["disagree"] == 0.0
    assert scores.f1["unrelated"] == pytest.approx(0.5)
    assert scores.confusion[1] == [0, 0, 1, 0]
    assert scores.macro_f1 == pytest.approx((2 / 3 + 0 + 0 + 0.5) / 4)


def test_files_round_trip(tmp_path: Path) -> None:
    stances = tmp_path / "s.csv"
    stances.write_text('Headline,Body ID,Stance\n"A, quoted",7,agree\nB,8,unrelated\n')
    bodies = tmp_path / "b.csv"
    bodies.write_text('Body ID,articleBody\n7,"Line one\nline two"\n8,Other\n')
    pairs = read_pairs(stances)
    assert pairs == [Pair("A, quoted", "7", "agree"), Pair("B", "8", "unrelated")]
    assert read_bodies(bodies)["7"] == "Line one\nline two"
    out = tmp_path / "p.csv"
    write_predictions(out, pairs, ["discuss", "unrelated"])
    assert out.read_text().splitlines() == [
        "Headline,Body ID,Stance",
        '"A, quoted",7,discuss',
        "B,8,unrelated",
    ]


def test_bad_files_name_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "s.csv"
    bad.write_text("Title,Body\nx,1\n")
    with pytest.raises(ParseError, match="missing column"):
        read_pairs(bad)
    bad.write_text("Headline,Body ID,Stance\nx,1,maybe\n")
    with pytest.raises(ParseError, match="s.csv:2: unknown stance 'maybe'"):
        read_pairs(bad)


def test_rows_without_a_body_id_or_body_and_duplicate_body_ids_name_file_and_line(
    tmp_path: Path,
) -> None:
    bodies = tmp_path / "b.csv"
    bodies.write_text('Body ID,articleBody\n7,"Line one\nline two"\n8\n')
    with pytest.raises(ParseError, match="b.csv:4: the row has no articleBody"):
        read_bodies(bodies)
    bodies.write_text('Body ID,articleBody\n7,"Line one\nline two"\n,Orphan text\n')
    with pytest.raises(ParseError, match="b.csv:4: the row has no Body ID"):
        read_bodies(bodies)
    bodies.write_text("Body ID,articleBody\n7,First\n8,Other\n7,Second\n")
    with pytest.raises(ParseError, match="b.csv:4: Body ID '7' given twice \\(first on line 2\\)"):
        read_bodies(bodies)
    stances = tmp_path / "s.csv"
    stances.write_text("Headline,Body ID\nA claim,7\nNo body id\n")
    with pytest.raises(ParseError, match="s.csv:3: the row has no Body ID"):
        read_pairs(stances)
