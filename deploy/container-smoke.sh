#!/usr/bin/env bash
# Build the Showcaller image and check that a container from it serves: /healthz, /readyz and
# one authenticated API call, starting from an empty data volume with the Mekong schedule the
# image ships. Uses podman or docker (the first found, or $CONTAINER_ENGINE, or the first argument).
#
#   deploy/container-smoke.sh            # podman or docker
#   deploy/container-smoke.sh docker
#   PORT=18080 deploy/container-smoke.sh
#
# Exit status: 0 passed, 1 a check failed, 3 no usable container engine.
set -euo pipefail

engine=${1:-${CONTAINER_ENGINE:-}}
if [ -z "$engine" ]; then
    for candidate in podman docker; do
        if command -v "$candidate" >/dev/null 2>&1; then engine=$candidate; break; fi
    done
fi
if [ -z "$engine" ]; then
    echo "container-smoke: neither podman nor docker is installed. Fix: install one of them" >&2
    exit 3
fi
if ! command -v "$engine" >/dev/null 2>&1; then
    echo "container-smoke: '$engine' is not installed. Fix: install it, or name podman or docker" >&2
    exit 3
fi
if ! "$engine" info >/dev/null 2>&1; then
    echo "container-smoke: '$engine' cannot run containers here ('$engine info' fails). Fix: start its" \
         "service, or use the other engine" >&2
    exit 3
fi

image=${IMAGE:-showcaller:smoke}
port=${PORT:-18000}
name=showcaller-smoke-$$
volume=showcaller-smoke-$$
base=http://127.0.0.1:$port
cd "$(dirname "$0")/.."

cleanup() {
    "$engine" rm -f "$name" >/dev/null 2>&1 || true
    "$engine" volume rm -f "$volume" >/dev/null 2>&1 || true
}
fail() {
    echo "container-smoke: FAILED: $1" >&2
    "$engine" logs "$name" 2>&1 | tail -n 30 >&2 || true
    exit 1
}
trap cleanup EXIT

build=(build -t "$image")
# Podman's default OCI format drops HEALTHCHECK; the docker format keeps it.
if [ "$engine" = podman ]; then build+=(--format docker); fi
if [ -n "${PIP_CA:-}" ]; then build+=(--secret "id=pip_ca,src=$PIP_CA"); fi
echo "== $engine ${build[*]} ."
"$engine" "${build[@]}" .

echo "== run from an empty volume with the shipped Mekong schedule"
"$engine" volume create "$volume" >/dev/null
"$engine" run -d --name "$name" -p "127.0.0.1:$port:8000" -v "$volume:/data" "$image" \
    showcaller serve schedules/events/mekong-dialogue-2022.yaml --host 0.0.0.0 --allow-missing-targets >/dev/null

for _ in $(seq 1 120); do
    if curl -fsS "$base/healthz" >/dev/null 2>&1; then break; fi
    if [ "$("$engine" inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" != "true" ]; then
        fail "the container exited"
    fi
    sleep 0.5
done
curl -fsS "$base/healthz" | grep -q '"ok"' || fail "/healthz did not answer ok"
echo "ok   /healthz"

ready=$(curl -sS -w ' %{http_code}' "$base/readyz")
case "$ready" in
    *'"status":"ready"'*' 200') echo "ok   /readyz" ;;
    *) fail "/readyz: $ready" ;;
esac

token=$("$engine" exec "$name" showcaller token create --role viewer --name smoke 2>/dev/null | tail -n 1)
[ -n "$token" ] || fail "could not create a token"
events=$(curl -fsS -H "Authorization: Bearer $token" "$base/api/events") || fail "GET /api/events"
case "$events" in
    *'"id":"mekong-dialogue-2022"'*) echo "ok   GET /api/events lists mekong-dialogue-2022" ;;
    *) fail "GET /api/events: $events" ;;
esac
curl -fsS "$base/metrics" | grep -q '^showcaller_cues_total' || fail "/metrics has no showcaller_cues_total"
echo "ok   /metrics"
echo "container smoke test passed ($engine, image $image)"
