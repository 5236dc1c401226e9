# DevForge: one image for every service. The container's command picks the service:
#   devforge serve gateway | projector | watchdog | guard | lead | conductor
#                  | engineer-backend | engineer-frontend | engineer-migration
#                  | qa | publisher | indexer
#   devforge setup            (once per deploy: migrations, streams and durables)
#   devforge model-server /app/demo/transcripts --host 0.0.0.0 --port 8000   (replay models)
# Build: docker build -t devforge .   Validated by tests/deploy (hadolint), no engine needed.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---- build: the virtualenvs (the project's, and semgrep's own: it pins an old `mcp`) ----
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
# torch's CPU build (the default index would bring the CUDA one, several GB).
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
ARG SEMGREP_VERSION=1.182.0
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential git \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
# Editable: the services find mcp/ beside shared/ (shared.crew.toolbox), so /app stays the
# source tree and the virtualenv points at it.
RUN python -m venv /opt/devforge \
 && /opt/devforge/bin/pip install --extra-index-url "${TORCH_INDEX}" -e . \
 && python -m venv /opt/devforge-tools \
 && /opt/devforge-tools/bin/pip install "semgrep==${SEMGREP_VERSION}"
# The embedding model exported to ONNX once, here, rather than in every indexer at start.
RUN HF_HUB_OFFLINE=1 DEVFORGE_EMBEDDING_CACHE=/opt/devforge-models \
    /opt/devforge/bin/python -m shared.index.onnx_export

# ---- runtime: slim, non-root, with the sandbox's tools ----
FROM ${PYTHON_IMAGE} AS runtime
# bubblewrap: the sandbox; git: workspaces; tinyproxy + socat: the prepare phase's egress
# allowlist; tini: PID 1 that reaps the sandboxes' orphans and forwards signals.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap ca-certificates git socat tini tinyproxy \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 devforge \
 && useradd --uid 10001 --gid devforge --home-dir /data --no-create-home --shell /usr/sbin/nologin devforge \
 && install -d -o devforge -g devforge -m 0750 /data /data/run /data/work
COPY --from=build /opt/devforge /opt/devforge
COPY --from=build /opt/devforge-tools /opt/devforge-tools
COPY --from=build /opt/devforge-models /opt/devforge-models
WORKDIR /app
COPY --from=build /app ./
COPY mcp ./mcp
COPY demo/transcripts ./demo/transcripts
ENV PATH=/opt/devforge/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    DEVFORGE_HOME=/data \
    DEVFORGE_EMBEDDING_CACHE=/opt/devforge-models \
    DEVFORGE_GATEWAY_HOST=0.0.0.0 \
    DEVFORGE_GATEWAY_PORT=8080 \
    DEVFORGE_SEMGREP=/opt/devforge-tools/bin/semgrep \
    DEVFORGE_SEMGREP_RULES=/app/shared/qa/semgrep.yml
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["tini", "--", "devforge"]
CMD ["--help"]
