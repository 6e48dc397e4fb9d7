"""Tiny 1-layer BERT models built in a test's directory (seconds, offline): stand-ins for real
sentence-transformers and NLI models where a test needs a model other than the default."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from monitor.judge.embed import resolve_model


def tiny_bert_config(**extra: Any) -> tuple[Any, Any]:
    """The default model's tokenizer and a 1-layer, 32-wide BERT config for its vocabulary."""
    from transformers import BertConfig, BertTokenizerFast

    tokenizer = BertTokenizerFast.from_pretrained(resolve_model("all-MiniLM-L6-v2"))
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        **extra,
    )
    return tokenizer, config


def tiny_sentence_model(
    directory: Path,
    pooling: str = "mean",
    dense: bool = False,
    seed: int = 0,
    max_seq_length: int = 24,
) -> Path:
    """A 1-layer BERT saved as a sentence-transformers model (optionally with a Dense layer)."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Dense, Pooling, Transformer
    from transformers import BertModel

    tokenizer, config = tiny_bert_config()
    torch.manual_seed(seed)
    raw = directory / "raw"
    BertModel(config).save_pretrained(raw)
    tokenizer.save_pretrained(raw)
    transformer = Transformer(str(raw), max_seq_length=max_seq_length)
    modules: list[torch.nn.Module] = [transformer, Pooling(32, pooling_mode=pooling)]
    if dense:
        modules.append(Dense(32, 8))
    SentenceTransformer(modules=modules, device="cpu").save(str(directory / "st"))
    return directory / "st"
