# monitor: one image for the migration job, the workers and the web service.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# torch first, from the CPU index: the default index would bring a multi-GB CUDA build.
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

COPY pyproject.toml README.md ./
COPY monitor ./monitor
COPY alembic ./alembic
COPY alembic.ini ./
RUN pip install --no-cache-dir -e .

# The sample watchlists, for `docker run` without a database of its own. Owned by root, so the
# web UI shows them read-only; docker-compose.yml mounts ./watchlists over them for the web
# service. The database refuses this copy once it holds a newer version (docs/web.md).
COPY watchlists ./watchlists
# var/models exists in the image, owned by monitor, so the `models` volume mounted there
# (docker-compose.yml) starts out writable by the service. uid 1000: the owner of a host
# folder mounted for the web service's watchlist edits, on most machines.
RUN useradd --create-home --uid 1000 monitor && mkdir -p /app/var/models \
    && chown -R monitor /app/var
USER monitor
# The embedding model's ONNX export (the default backend), made here once so that no container
# pays for it on its first start (about 20 s and 0.8 GiB). A fresh `models` volume starts as a
# copy of this folder; exports of other models (MONITOR_EMBEDDING_MODEL) are made there at start.
RUN MONITOR_EMBEDDING_CACHE_DIR=/app/var/models monitor embeddings export

EXPOSE 8080
ENTRYPOINT ["monitor"]
CMD ["run"]
