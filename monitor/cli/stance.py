"""`monitor stance`: predict, evaluate and train the stance model on FNC-1 files, and what
editors' corrections say about it on the desk's own reporting."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from monitor.cli.common import (
    app,
    embedder_for,
    fail,
    now,
    progress,
    settings,
)
from monitor.errors import MonitorError
from monitor.settings import Settings

if TYPE_CHECKING:
    from monitor.judge.builtin import BuiltinStance
    from monitor.judge.cross import CrossEncoderStance
    from monitor.judge.fnc import Pair

    FncModel = BuiltinStance | CrossEncoderStance


stance_app = typer.Typer(
    help="The stance model: predict, evaluate, train (FNC-1 files); editors' corrections."
)


app.add_typer(stance_app, name="stance")


StancesOption = Annotated[
    Path | None, typer.Option("--stances", help="FNC-1 stances CSV (Headline, Body ID[, Stance]).")
]


BodiesOption = Annotated[
    Path | None, typer.Option("--bodies", help="FNC-1 bodies CSV (Body ID, articleBody).")
]


DataOption = Annotated[
    Path | None,
    typer.Option("--data", help="Directory with FNC-1 train_stances.csv and train_bodies.csv."),
]


SplitOption = Annotated[
    str,
    typer.Option(
        "--split",
        help="With --data, which part: report (claims held out from training and tuning), "
        "validation, train (the split by claim), or body (the older split by Body ID).",
    ),
]


def _stance_inputs(
    stances: Path | None, bodies: Path | None, data: Path | None, split: str
) -> tuple[list[Pair], dict[str, str], FncModel]:
    from monitor.judge.fnc import check_bodies, read_bodies, read_pairs

    current = settings()
    try:
        if data is not None:
            pairs, texts = _fnc_part(data, split)
        elif stances is not None and bodies is not None:
            pairs, texts = read_pairs(stances), read_bodies(bodies)
            check_bodies(pairs, texts, bodies)
        else:
            raise fail("give --data (with --split), or --stances and --bodies")
    except MonitorError as err:
        raise fail(str(err)) from err
    return pairs, texts, _fnc_model(current)


def _fnc_part(data: Path, split: str) -> tuple[list[Pair], dict[str, str]]:
    from monitor.judge.fnc import read_bodies, read_pairs
    from monitor.judge.splits import PARTS, split_bodies, split_by_claim

    pairs = [p for p in read_pairs(data / "train_stances.csv") if p.label is not None]
    texts = read_bodies(data / "train_bodies.csv")
    if split == "body":
        _, dev_ids = split_bodies(texts)
        return [p for p in pairs if p.body_id in dev_ids], texts
    if split not in PARTS:
        raise fail(f"--split {split!r}: choose report, validation, train or body")
    return split_by_claim(pairs).part(split), texts


def _fnc_model(current: Settings) -> FncModel:
    """The shipped stance model named by MONITOR_STANCE_MODEL (FNC-1 commands run only those)."""
    if current.stance_model == "builtin":
        from monitor.judge.builtin import BuiltinStance

        return BuiltinStance(embedder_for(current))
    from monitor.judge.cross import MODEL_DIR, CrossEncoderStance, is_model_dir

    if current.stance_model == "crossencoder" or is_model_dir(current.stance_model):
        shipped = current.stance_model == "crossencoder"
        directory = MODEL_DIR if shipped else Path(current.stance_model)
        return CrossEncoderStance(directory, device=current.embedding_device)
    raise fail(
        f"MONITOR_STANCE_MODEL={current.stance_model}: the stance commands run the shipped "
        "models; set it to crossencoder or builtin"
    )


def _train_crossencoder(
    data: Path,
    out: Path | None,
    device: str | None,
    checkpoint: Path | None,
    outside_data: Path | None,
    recipe_name: str | None,
) -> None:
    import torch

    from monitor.judge.cross import FNC_BASE_DIR, MODEL_DIR
    from monitor.judge.cross_training import RECIPE, RECIPE_V3, RECIPES, train
    from monitor.judge.embed import resolve_model
    from monitor.settings import DEFAULT_EMBEDDING_MODEL

    target = out or FNC_BASE_DIR  # never over the shipped model unless asked to
    chosen = device or ("cuda" if torch.cuda.is_available() else "cpu")
    recipe = RECIPES[recipe_name] if recipe_name is not None else None
    if chosen == "cpu" and outside_data is None and (recipe or RECIPE) is RECIPE_V3:
        typer.echo(
            "note: the v3 recipe (three epochs at 128 tokens) takes many hours on a CPU; "
            "--device cuda takes about a minute, --recipe v1 about 45 minutes on two cores",
            err=True,
        )
    try:
        report = train(
            data,
            target,
            Path(resolve_model(DEFAULT_EMBEDDING_MODEL)),
            device=chosen,
            checkpoint=checkpoint,
            outside_data=outside_data,
            recipe=recipe,
            log=lambda line: typer.echo(line, err=True),
        )
    except MonitorError as err:
        raise fail(str(err)) from err
    typer.echo(f"wrote {target} (sha256 {report.sha256})")
    typer.echo("validation (tunes the class offsets):\n" + report.validation.report())
    typer.echo("report (claims never trained or tuned on):\n" + report.report.report())
    if target.resolve() != MODEL_DIR.resolve():
        typer.echo(
            f"the shipped cross-encoder ({MODEL_DIR.name}) is this FNC-1 model tuned on the "
            "development desk sets and the written pairs: python -m bench.deskset export "
            "desk_X.jsonl --set X for X in main, c, e, f, g, h, concatenated in that order with "
            "bench/written/security.jsonl, politics.jsonl and science.jsonl into train_all.jsonl; "
            f"then monitor stance tune --items train_all.jsonl --base {target} --out DIR "
            f"--replay 1000 --data {data}"
        )


def _train_builtin(data: Path, out: Path | None, split: str, synthetic: int) -> None:
    from monitor.judge.training import output_paths, train

    if split not in ("body", "claim"):
        raise fail(f"--split {split!r}: choose body (the shipped model) or claim")
    if split == "claim" and out is None:
        raise fail("--split claim trains a model to measure on unseen claims: give --out")
    if synthetic and out is None:
        raise fail("--synthetic trains a model to compare with the shipped one: give --out")
    current = settings()
    target, manifest = output_paths(out)
    try:
        report = train(
            data,
            embedder_for(current),
            target,
            manifest,
            progress("embedding sentences"),
            split=split,
            synthetic_per_claim=synthetic,
        )
    except MonitorError as err:
        raise fail(str(err)) from err
    held = "dev" if split == "body" else "report part, claims never trained on"
    typer.echo(f"wrote {target} (sha256 {report.sha256})")
    typer.echo(f"trained on {report.train_pairs} pairs; {held} ({report.dev_pairs} pairs):")
    typer.echo(report.dev.report())


@stance_app.command("predict")
def stance_predict(
    out: Annotated[Path, typer.Option("--out", help="Where to write Headline,Body ID,Stance.")],
    stances: StancesOption = None,
    bodies: BodiesOption = None,
    data: DataOption = None,
    split: SplitOption = "report",
) -> None:
    """Predict FNC-1 labels (agree/disagree/discuss/unrelated) for every row, in order."""
    from monitor.judge.fnc import write_predictions

    pairs, texts, model = _stance_inputs(stances, bodies, data, split)
    pair_ids = [(p.headline, p.body_id) for p in pairs]
    labels = model.predict_fnc(pair_ids, texts, progress("stance"))
    write_predictions(out, pairs, labels)
    typer.echo(f"wrote {len(labels)} predictions to {out}")


@stance_app.command("eval")
def stance_eval(
    stances: StancesOption = None,
    bodies: BodiesOption = None,
    data: DataOption = None,
    split: SplitOption = "report",
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
) -> None:
    """Predict and score against the gold stances: FNC-1 score, macro-F1, confusion. With
    --data, on a part of the FNC-1 train split by claim (default: the held-out report part)."""
    import json

    from monitor.judge.fnc import score

    pairs, texts, model = _stance_inputs(stances, bodies, data, split)
    if any(p.label is None for p in pairs):
        raise fail(f"{stances}: every row needs a Stance to evaluate against")
    pair_ids = [(p.headline, p.body_id) for p in pairs]
    labels = model.predict_fnc(pair_ids, texts, progress("stance"))
    scores = score([str(p.label) for p in pairs], labels)
    typer.echo(json.dumps(scores.as_dict(), indent=2) if as_json else scores.report())


@stance_app.command("train")
def stance_train(
    data: Annotated[
        Path, typer.Option("--data", help="Directory with train_stances.csv, train_bodies.csv.")
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Where to write the model: a folder, or for builtin also the .npz file "
            "(default: the package's; for the cross-encoder, its FNC-1 base stance-ce-v3 beside "
            "the shipped model, which `monitor stance tune` makes from it).",
        ),
    ] = None,
    model: Annotated[
        str, typer.Option("--model", help="crossencoder (default) or builtin.")
    ] = "crossencoder",
    device: Annotated[
        str | None, typer.Option("--device", help="Torch device (default: cuda if present).")
    ] = None,
    checkpoint: Annotated[
        Path | None,
        typer.Option("--checkpoint", help="Save progress here; a run started again resumes."),
    ] = None,
    outside_data: Annotated[
        Path | None,
        typer.Option(
            "--outside",
            help="Crossencoder only: also train on the openly licensed NLI pairs in this folder "
            "(written by scripts/fetch-outside-data; docs/data.md).",
        ),
    ] = None,
    split: Annotated[
        str,
        typer.Option(
            "--split",
            help="Builtin only: body (the shipped model, dev = a fifth of the bodies) or claim "
            "(train on the claim split, report on claims never seen; needs --out).",
        ),
    ] = "body",
    synthetic: Annotated[
        int,
        typer.Option(
            "--synthetic",
            min=0,
            help="Builtin only: synthetic items per training claim (attributed denials, "
            "hedges, assertions; the shipped model has none); needs --out.",
        ),
    ] = 0,
    recipe: Annotated[
        str | None,
        typer.Option(
            "--recipe",
            help="Crossencoder only: v3 (the shipped model's base: three epochs at 128 tokens, "
            "about a minute on a GPU, many hours on two CPU cores) or v1 (one capped epoch at 64 "
            "tokens, about 45 minutes on two CPU cores). Default v3; with --outside, v1's mix.",
        ),
    ] = None,
) -> None:
    """Reproduce a shipped stance model (seeded) and report on its held-out split."""
    from monitor.judge.cross_training import RECIPE, RECIPES

    if recipe is not None and recipe not in RECIPES:
        known = ", ".join(sorted(RECIPES))
        shipped = f"{RECIPE.name}: the shipped model's"
        raise fail(f"--recipe {recipe!r}: choose one of {known} ({shipped})")
    if model == "builtin":
        options = (("--outside", outside_data), ("--recipe", recipe))
        given = [name for name, value in options if value]
        if given:
            raise fail(f"{' and '.join(given)}: for the crossencoder only")
        _train_builtin(data, out, split, synthetic)
    elif model == "crossencoder":
        if synthetic:
            raise fail("--synthetic is for builtin; the crossencoder's recipe sets its own")
        if outside_data is not None and recipe is not None:
            raise fail("--outside trains v1's recipe with the outside pairs; leave out --recipe")
        if split != "body":
            raise fail("the crossencoder always trains on the claim split; --split is for builtin")
        _train_crossencoder(data, out, device, checkpoint, outside_data, recipe)
    else:
        raise fail(f"--model {model!r}: choose crossencoder or builtin")


@stance_app.command("corrections")
def stance_corrections(
    days: Annotated[
        int | None,
        typer.Option("--days", min=1, help="Only the last N days (default: everything)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    export: Annotated[
        Path | None,
        typer.Option(
            "--export",
            help="Write the corrected items as JSON lines (claim, title, body, the editor's "
            "label, the model's reading): the desk's own set to judge the next model on.",
        ),
    ] = None,
) -> None:
    """How the stance model reads this desk's reporting: the alerts raised and the stances
    editors corrected (from Slack, the claim page or the API), model against editor."""
    import json
    from datetime import timedelta

    from monitor.judge.corrections import as_desk_items, summarize
    from monitor.store import open_store

    since = now() - timedelta(days=days) if days else None
    try:
        repository = open_store(settings().resolved_database_url)
        corrections = repository.stance_corrections(since)
        summary = summarize(corrections, repository.alerted_evidence_count(since))
    except MonitorError as err:
        raise fail(str(err)) from err
    typer.echo(json.dumps(summary.as_dict(), indent=2) if as_json else summary.report())
    if export is not None:
        lines = [json.dumps(record, ensure_ascii=False) for record in as_desk_items(corrections)]
        try:
            export.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        except OSError as err:
            raise fail(f"cannot write {export}: {err}") from err
        typer.echo(f"wrote {len(lines)} corrected items to {export}", err=as_json)


@stance_app.command("tune")
def stance_tune(
    items: Annotated[
        Path,
        typer.Option(
            "--items",
            help="JSON lines with claim, title, body and label (supports, contradicts, "
            "mentions, unrelated): a desk set, or `monitor stance corrections --export`.",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="The folder to write the tuned model to.")],
    base: Annotated[
        Path | None,
        typer.Option("--base", help="The cross-encoder folder to start from (default: shipped)."),
    ] = None,
    epochs: Annotated[int, typer.Option("--epochs", min=1, max=50)] = 3,
    learning_rate: Annotated[float, typer.Option("--learning-rate", min=1e-7, max=1e-3)] = 5e-5,
    seed: Annotated[int, typer.Option("--seed")] = 13,
    replay: Annotated[
        int,
        typer.Option(
            "--replay",
            min=0,
            help="Also train on this many FNC-1 train-part examples (needs --data), so the "
            "model keeps FNC-1's classes where the definitions agree.",
        ),
    ] = 0,
    data: DataOption = None,
    negated_claims: Annotated[
        bool,
        typer.Option(
            "--negated-claims",
            help="Also train on each related item read against its claim's negation (\"It is "
            'not true that ..."), supports and contradicts swapped, so that a negation in the '
            "item is read against the claim's polarity.",
        ),
    ] = False,
) -> None:
    """Fine-tune the cross-encoder on items labelled as a desk reads them; the folder it writes
    is a model for MONITOR_STANCE_MODEL (docs/stance.md)."""
    from monitor.judge.cross import MODEL_DIR
    from monitor.judge.desk_tuning import DeskTuning, read_items, replay_examples, tune

    if replay and data is None:
        raise fail("--replay needs --data, the folder with FNC-1's train files")
    current = settings()
    try:
        records = read_items(items)
        replayed = replay_examples(data, replay, seed) if replay and data is not None else []
        tune(
            records,
            embedder_for(current),
            out,
            base=base or MODEL_DIR,
            how=DeskTuning(
                epochs=epochs,
                learning_rate=learning_rate,
                seed=seed,
                negated_claims=negated_claims,
            ),
            replay=replayed,
            source=items.name,
            log=typer.echo,
        )
    except MonitorError as err:
        raise fail(str(err)) from err
