# syntax=docker/dockerfile:1
# Showcaller service image: runs `showcaller serve` as a non-root user, data in /data.
# It prints the post-event pack and run sheets as PDF with Debian's Chromium (SHOWCALLER_CHROMIUM).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SHOWCALLER_DATABASE_URL=sqlite+aiosqlite:////data/showcaller.db \
    SHOWCALLER_SANDBOX_STATE_PATH=/data/sandbox-zoom.json \
    SHOWCALLER_CHROMIUM=/usr/bin/chromium

# Chromium prints the pack and run sheets (without it their PDF is a 503). Debian's build follows
# the release's security updates, hence no pinned version. Fonts: Latin, Greek and Cyrillic; add
# fonts-noto-core for names in other scripts (Khmer, Thai, Lao...).
# hadolint ignore=DL3008
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        chromium fonts-liberation fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /srv/showcaller
RUN groupadd --system --gid 10001 showcaller \
    && useradd --system --uid 10001 --gid 10001 --home-dir /srv/showcaller --shell /usr/sbin/nologin showcaller \
    && mkdir /data && chown 10001:10001 /data

COPY pyproject.toml README.md ./
COPY app ./app
COPY integrations ./integrations
COPY schedules ./schedules

# Behind a TLS-inspecting proxy, pass its CA as a build secret: --secret id=pip_ca,src=/path/ca.crt
RUN --mount=type=secret,id=pip_ca,required=false \
    if [ -f /run/secrets/pip_ca ]; then export PIP_CERT=/run/secrets/pip_ca; fi; \
    pip install --no-cache-dir .

USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["showcaller", "serve", "--host", "0.0.0.0", "--port", "8000"]
