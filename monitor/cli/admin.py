"""Administration: `monitor config`, `watchlist`, `users`, `db`, `archive`, `embeddings`."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from monitor.cli.common import (
    app,
    db_app,
    embedder_for,
    fail,
    invocation,
    settings,
    watchlist_app,
)
from monitor.errors import MonitorError
from monitor.settings import Settings, env_name, settings_table


@app.command("config")
def show_config(
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the documentation table instead.")
    ] = False,
) -> None:
    """Print the settings in effect (secrets hidden) and the variable that sets each."""
    if markdown:
        typer.echo(settings_table())
        return
    current = settings()
    for name in Settings.model_fields:
        value = getattr(current, name)
        typer.echo(f"{env_name(name):32} {value!s}")


@watchlist_app.command("check")
def watchlist_check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or directories (default: MONITOR_WATCHLISTS)."),
    ] = None,
) -> None:
    """Validate watchlist files; report every problem with file, line and what is wrong."""
    from monitor.watchlists import load_directory, load_file

    current = settings()
    problems, good = [], []
    for path in paths or [current.watchlists]:
        if path.is_dir():
            report = load_directory(path, current.match_threshold)
            problems += report.problems
            good += report.watchlists
        else:
            try:
                good.append(load_file(path, current.match_threshold))
            except MonitorError as err:
                problems += getattr(err, "problems", [err])
    for watchlist in good:
        typer.echo(
            f"ok: {watchlist.path}: {watchlist.name} "
            f"({len(watchlist.claims)} claims, {len(watchlist.sources)} sources)"
        )
    for problem in problems:
        typer.secho(str(problem), err=True, fg=typer.colors.RED)
    if problems:
        raise typer.Exit(1)


@watchlist_app.command("export")
def watchlist_export(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Directory to write to (default: MONITOR_WATCHLISTS)."),
    ] = None,
) -> None:
    """Write every watchlist as stored (with edits made in the web UI) to YAML files."""
    from monitor.editing import export_watchlists
    from monitor.store import open_store

    current = settings()
    repository = open_store(current.resolved_database_url)
    for path in export_watchlists(repository, out or current.watchlists, current.match_threshold):
        typer.echo(f"wrote {path}")


users_app = typer.Typer(help="Web UI users and their API tokens.", no_args_is_help=True)


app.add_typer(users_app, name="users")


PASSWORD_ENV = "MONITOR_NEW_PASSWORD"


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Sign-in name.")],
    role: Annotated[str, typer.Option(help="viewer, editor or admin.")] = "viewer",
) -> None:
    """Add a user; the password comes from MONITOR_NEW_PASSWORD or a prompt."""
    import os

    from monitor.store import open_store
    from monitor.types import Role
    from monitor.web.auth import MIN_PASSWORD, hash_password

    if role not in set(Role):
        raise typer.BadParameter("viewer, editor or admin", param_hint="--role")
    password = os.environ.get(PASSWORD_ENV) or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    if len(password) < MIN_PASSWORD:
        fail(f"the password needs at least {MIN_PASSWORD} characters")
    repository = open_store(settings().resolved_database_url)
    if repository.user_credentials(name) is not None:
        fail(f"a user named {name!r} exists")
    now = invocation().clock()
    repository.add_user(name, hash_password(password), Role(role), now)
    repository.record_audit("cli", "user.create", f"user:{name}", None, {"role": role}, now)
    typer.echo(f"added {role} {name}")


@users_app.command("token")
def users_token(
    name: Annotated[str, typer.Argument(help="The user the token acts as.")],
    label: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
) -> None:
    """Make an API token for a user and print it (it is shown only this once)."""
    from monitor.store import open_store
    from monitor.web.auth import new_api_token, token_hash

    repository = open_store(settings().resolved_database_url)
    found = repository.user_credentials(name)
    if found is None:
        raise fail(f"no user named {name!r}")
    token = new_api_token()
    now = invocation().clock()
    repository.add_api_token(found[0].id, label, token_hash(token), now)
    repository.record_audit("cli", "token.create", f"user:{name}", None, {"token": label}, now)
    typer.echo(token)


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply database migrations (the service also does this on start)."""
    from monitor.store.database import current_revision, make_engine, upgrade

    engine = make_engine(settings().resolved_database_url)
    try:
        upgrade(engine, revision)
    except MonitorError as err:
        fail(str(err))
    typer.echo(f"database at revision {current_revision(engine)}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision.")]) -> None:
    """Revert database migrations down to REVISION (`base` empties the schema)."""
    from monitor.store.database import current_revision, downgrade, make_engine

    engine = make_engine(settings().resolved_database_url)
    downgrade(engine, revision)
    typer.echo(f"database at revision {current_revision(engine)}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's revision and the newest one this version ships."""
    from monitor.store.database import current_revision, head_revision, make_engine

    engine = make_engine(settings().resolved_database_url)
    typer.echo(f"current: {current_revision(engine)}\nhead:    {head_revision()}")


archive_app = typer.Typer(help="The archive of passage embeddings.", no_args_is_help=True)


app.add_typer(archive_app, name="archive")


@archive_app.command("rebuild")
def archive_rebuild(
    batch: Annotated[int, typer.Option(min=1, help="Items embedded per step.")] = 128,
) -> None:
    """Embed stored items that lack vectors of the configured embedding model (after a model
    change, or for items from before the archive): claim previews and backfills find them then.
    Items that have vectors are skipped, so an interrupted rebuild goes on where it stopped."""
    from tqdm import tqdm

    from monitor.archive import rebuild
    from monitor.store import open_store

    current = settings()
    repository = open_store(current.resolved_database_url, vector_store=current.vector_store)
    embedder = embedder_for(current)
    with tqdm(total=repository.count_items(), unit="item", file=sys.stderr) as bar:
        report = rebuild(repository, embedder, batch=batch, progress=bar.update)
    typer.echo(
        f"{report.items} items read, {report.embedded} embedded ({report.passages} passages) "
        f"with {embedder.model_key}"
    )


embeddings_app = typer.Typer(
    help="The embedding model's ONNX export (MONITOR_EMBEDDING_BACKEND onnx, the default).",
    no_args_is_help=True,
)


app.add_typer(embeddings_app, name="embeddings")


@embeddings_app.command("export")
def embeddings_export() -> None:
    """Export the embedding model for ONNX Runtime now, so that no start has to.

    The export goes to MONITOR_EMBEDDING_CACHE_DIR (about 20 s and 0.8 GiB of memory, once per
    model; an image build runs this). Nothing to do when it is there already, or with
    MONITOR_EMBEDDING_BACKEND=torch."""
    from monitor.app import prepare_embeddings

    current = settings()
    started = time.perf_counter()
    try:
        entry = prepare_embeddings(current)
    except MonitorError as err:
        raise fail(str(err)) from err
    if entry is None:
        typer.echo(f"MONITOR_EMBEDDING_BACKEND={current.embedding_backend}: nothing to export")
        return
    typer.echo(
        f"{current.embedding_model} ({current.embedding_backend}): export ready in {entry} "
        f"({time.perf_counter() - started:.1f} s)"
    )
