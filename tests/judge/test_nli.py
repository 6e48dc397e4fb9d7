"""Any sentence-transformers CrossEncoder NLI model works through settings (a tiny one here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.app import make_stance
from monitor.errors import ModelError
from monitor.judge.nli import NliStance
from monitor.judge.stance import StanceQuery
from monitor.settings import load_settings
from monitor.types import Stance
from tests.support.embedders import HashingEmbedder
from tests.support.models import tiny_bert_config

LABEL_ORDERS = {
    "mnli-style": {0: "contradiction", 1: "entailment", 2: "neutral"},
    "other-order": {0: "ENTAILMENT", 1: "NEUTRAL", 2: "CONTRADICTION"},
}


def tiny_nli_model(directory: Path, id2label: dict[int, str], favour: str) -> Path:
    """A 1-layer BERT NLI cross-encoder whose classifier always prefers label ``favour``."""
    import torch
    from transformers import BertForSequenceClassification

    tokenizer, config = tiny_bert_config(
        num_labels=3, id2label=id2label, label2id={v: k for k, v in id2label.items()}
    )
    torch.manual_seed(0)
    model = BertForSequenceClassification(config)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(
            torch.tensor([8.0 if id2label[i].lower() == favour else 0.0 for i in range(3)])
        )
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


QUERY = StanceQuery(
    "Iran supplies Shahed attack drones to Russia",
    ("Tehran denied sending any drones.", "The ministry said the reports were false."),
    title="Iran rejects drone reports",
)


@pytest.mark.parametrize("order", sorted(LABEL_ORDERS))
@pytest.mark.parametrize(
    ("favour", "stance"),
    [
        ("entailment", Stance.SUPPORTS),
        ("contradiction", Stance.CONTRADICTS),
        ("neutral", Stance.MENTIONS),
    ],
)
def test_labels_are_read_from_the_model_config(
    tmp_path: Path, order: str, favour: str, stance: Stance
) -> None:
    path = tiny_nli_model(tmp_path / "nli", LABEL_ORDERS[order], favour)
    classifier = make_stance(load_settings(stance_model=str(path)), HashingEmbedder())
    assert isinstance(classifier, NliStance)

    [result] = classifier.classify([QUERY])

    assert result.stance is stance
    assert result.quote in QUERY.passages
    assert result.confidence > 0.99


def test_a_model_that_is_not_there_is_a_clear_error(tmp_path: Path) -> None:
    classifier = NliStance(str(tmp_path / "missing-model"))
    with pytest.raises(ModelError, match="cannot load NLI model"):
        classifier.classify([QUERY])
    with pytest.raises(ModelError, match="cannot load NLI model"):
        classifier.load()  # as `monitor run` and `worker` do at start


def test_non_nli_labels_are_refused(tmp_path: Path) -> None:
    path = tiny_nli_model(tmp_path / "m", {0: "positive", 1: "negative", 2: "neutral"}, "neutral")
    with pytest.raises(ModelError, match="'positive' is not entailment"):
        NliStance(str(path)).classify([QUERY])
