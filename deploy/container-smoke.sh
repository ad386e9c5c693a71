#!/usr/bin/env bash
# Build the Showcaller image and check that it serves.
#
# Default (one container, from an empty data volume with the Mekong schedule the image ships):
# /healthz, /readyz, one authenticated API call, /metrics, the post-event pack as PDF over HTTP
# and a run sheet as PDF from the CLI inside the container (Chromium in the image).
#
# --compose: deploy/compose.yaml (PostgreSQL, two instances, the Caddy balancer) under a project
# of its own: /readyz through the balancer, one dispatcher and one standby; then the dispatcher's
# container is killed and the standby must take over while the balancer keeps answering (every
# request through it during the takeover is counted); the killed one comes back as a standby.
#
#   deploy/container-smoke.sh [--compose] [podman|docker]
#   PORT=18080 deploy/container-smoke.sh            # host port of the container (or the balancer)
#
# Engine: the argument, else $CONTAINER_ENGINE, else podman or docker (the first found). Compose
# tool: $COMPOSE, else `podman-compose` for podman and `docker compose` for docker. Behind a
# TLS-inspecting proxy, $PIP_CA (or $SC_HOST_CA) names the CA bundle passed to pip as a build secret.
# Exit status: 0 passed, 1 a check failed, 3 no usable container engine.
set -euo pipefail

mode=single
engine=""
for arg in "$@"; do
    case "$arg" in
        --compose) mode=compose ;;
        -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "container-smoke: unknown option '$arg'. Fix: use --compose, or name podman or docker" >&2; exit 3 ;;
        *) engine=$arg ;;
    esac
done
engine=${engine:-${CONTAINER_ENGINE:-}}
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
if [ "$mode" = compose ]; then
    if [ -n "${COMPOSE:-}" ]; then
        read -r -a compose_cmd <<<"$COMPOSE"
    elif [ "$engine" = podman ]; then
        compose_cmd=(podman-compose)
    else
        compose_cmd=(docker compose)
    fi
    if ! "${compose_cmd[@]}" version >/dev/null 2>&1; then
        echo "container-smoke: '${compose_cmd[*]}' is not usable. Fix: install it, or set COMPOSE" >&2
        exit 3
    fi
fi

cd "$(dirname "$0")/.."
image=${IMAGE:-showcaller:local}
port=${PORT:-18000}
base=http://127.0.0.1:$port
run_id=$$
ca=${PIP_CA:-${SC_HOST_CA:-}}
log=$(mktemp -d "${TMPDIR:-/tmp}/showcaller-smoke.XXXXXX")

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
# The JSON string value of "key" in stdin (the answers here are small and flat enough for this).
json_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" | head -n 1; }

build_image() {
    local build=(build -t "$image")
    # Podman's default OCI format drops HEALTHCHECK; the docker format keeps it.
    if [ "$engine" = podman ]; then build+=(--format docker); fi
    if [ -n "$ca" ]; then build+=(--secret "id=pip_ca,src=$ca"); fi
    echo "== $engine ${build[*]} ."
    local started
    started=$(now)
    "$engine" "${build[@]}" . >"$log/build.log" 2>&1 || { tail -n 40 "$log/build.log" >&2; fail "the image did not build"; }
    echo "ok   image built in $(since "$started") s"
}

wait_for() { # URL SECONDS: until URL answers 200; returns 1 on timeout
    local deadline=$((SECONDS + $2))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null; then return 0; fi
        sleep 0.25
    done
    return 1
}

check_pdf() { # FILE WHAT
    local magic
    magic=$(head -c 5 "$1" 2>/dev/null || true)
    [ "$magic" = "%PDF-" ] || fail "$2 is not a PDF: $(head -c 200 "$1" 2>/dev/null)"
    echo "ok   $2 ($(wc -c <"$1") bytes of PDF)"
}

# ---------------------------------------------------------------------------------------------
single() {
    name=showcaller-smoke-$run_id volume=showcaller-smoke-$run_id  # global: the EXIT trap reads them
    fail() {
        echo "container-smoke: FAILED: $1" >&2
        "$engine" logs "$name" 2>&1 | tail -n 30 >&2 || true
        exit 1
    }
    cleanup() {
        "$engine" rm -f "$name" >/dev/null 2>&1 || true
        "$engine" volume rm -f "$volume" >/dev/null 2>&1 || true
        rm -rf "$log"
    }
    trap cleanup EXIT
    build_image

    echo "== run from an empty volume with the shipped Mekong schedule"
    "$engine" volume create "$volume" >/dev/null
    local started
    started=$(now)
    "$engine" run -d --name "$name" -p "127.0.0.1:$port:8000" -v "$volume:/data" "$image" \
        showcaller serve schedules/events/mekong-dialogue-2022.yaml --host 0.0.0.0 --allow-missing-targets >/dev/null \
        || fail "could not start a container (is port $port free? PORT=... picks another)"
    wait_for "$base/healthz" 60 || fail "/healthz did not answer within 60 s"
    [[ "$(curl -fsS "$base/healthz")" == *'"ok"'* ]] || fail "/healthz did not answer ok"
    echo "ok   /healthz ($(since "$started") s after start)"
    wait_for "$base/readyz" 60 || fail "/readyz: $(curl -sS "$base/readyz")"
    [[ "$(curl -fsS "$base/readyz")" == *'"status":"ready"'* ]] || fail "/readyz is not ready"
    echo "ok   /readyz ($(since "$started") s after start)"

    local token events
    token=$("$engine" exec "$name" showcaller token create --role host --name smoke 2>/dev/null | tail -n 1)
    [ -n "$token" ] || fail "could not create a token"
    events=$(curl -fsS -H "Authorization: Bearer $token" "$base/api/events") || fail "GET /api/events"
    case "$events" in
        *'"id":"mekong-dialogue-2022"'*) echo "ok   GET /api/events lists mekong-dialogue-2022" ;;
        *) fail "GET /api/events: $events" ;;
    esac
    # Read whole before grep: `curl | grep -q` under pipefail fails when grep stops reading early.
    local metrics
    metrics=$(curl -fsS "$base/metrics") || fail "GET /metrics"
    grep -q '^showcaller_cues_total' <<<"$metrics" || fail "/metrics has no showcaller_cues_total"
    echo "ok   /metrics"

    started=$(now)
    local status
    status=$(curl -sS -o "$log/pack.pdf" -w '%{http_code}' -H "Authorization: Bearer $token" \
        "$base/api/events/mekong-dialogue-2022/pack?format=pdf")
    [ "$status" = 200 ] || fail "GET /api/events/mekong-dialogue-2022/pack?format=pdf: HTTP $status $(head -c 300 "$log/pack.pdf")"
    check_pdf "$log/pack.pdf" "the pack downloaded from the container in $(since "$started") s"
    "$engine" exec "$name" showcaller runsheet schedules/events/mekong-dialogue-2022.yaml \
        --person pinsuda-alexander --format pdf -o /data/runsheet.pdf >"$log/runsheet.log" 2>&1 \
        || fail "runsheet --format pdf in the container: $(tail -n 5 "$log/runsheet.log")"
    "$engine" cp "$name:/data/runsheet.pdf" "$log/runsheet.pdf" || fail "could not copy the run sheet out"
    check_pdf "$log/runsheet.pdf" "a run sheet printed in the container"
    echo "container smoke test passed ($engine, image $image)"
}

# ---------------------------------------------------------------------------------------------
compose() { "${compose_cmd[@]}" -p "$project" -f deploy/compose.yaml -f "$log/smoke.yaml" "$@"; }
container_of() { "$engine" ps -q --filter "label=com.docker.compose.project=$project" --filter "label=com.docker.compose.service=$1"; }
role_of() { curl -fsS --max-time 2 "$1/readyz" 2>/dev/null | json_field role || true; }

cluster() {
    project=showcaller-smoke-$run_id
    local url1 url2
    # The instances' host ports follow the balancer's (PORT+1, PORT+2).
    export SHOWCALLER_PORT=$port SHOWCALLER_1_PORT=$((port + 1)) SHOWCALLER_2_PORT=$((port + 2))
    export SHOWCALLER_PUBLIC_URL=$base
    url1=http://127.0.0.1:$SHOWCALLER_1_PORT
    url2=http://127.0.0.1:$SHOWCALLER_2_PORT
    fail() {
        echo "container-smoke: FAILED: $1" >&2
        for service in showcaller-1 showcaller-2 balancer postgres; do
            echo "-- $service" >&2
            "$engine" logs "$(container_of "$service" | head -n 1)" 2>&1 | tail -n 15 >&2 || true
        done
        exit 1
    }
    cleanup() {
        [ -n "${poller:-}" ] && kill "$poller" 2>/dev/null || true
        compose down -v >/dev/null 2>&1 || true
        rm -rf "$log"
    }
    trap cleanup EXIT
    # The Mekong schedule loaded below leaves its targets unset: without this a restarted instance
    # would refuse to start (exit 7) instead of parking their messages.
    local serve='["showcaller", "serve", "--host", "0.0.0.0", "--port", "8000", "--allow-missing-targets"]'
    printf 'services:\n  showcaller-1:\n    command: %s\n  showcaller-2:\n    command: %s\n' "$serve" "$serve" >"$log/smoke.yaml"
    build_image

    echo "== ${compose_cmd[*]} up: PostgreSQL, two instances, the balancer (project $project)"
    local started
    started=$(now)
    compose up -d >"$log/up.log" 2>&1 || { tail -n 30 "$log/up.log" >&2; fail "compose up"; }
    # podman-compose ignores `condition: service_healthy`: an instance that started before
    # PostgreSQL exits and is restarted by its policy, so wait for both to be ready.
    wait_for "$url1/readyz" 180 || fail "showcaller-1 /readyz: $(curl -sS "$url1/readyz" 2>&1)"
    wait_for "$url2/readyz" 180 || fail "showcaller-2 /readyz: $(curl -sS "$url2/readyz" 2>&1)"
    echo "ok   both instances ready ($(since "$started") s after up; restarts while PostgreSQL started:" \
        "$("$engine" inspect -f '{{.RestartCount}}' "$(container_of showcaller-1)" "$(container_of showcaller-2)" 2>/dev/null | paste -sd+ -))"
    wait_for "$base/readyz" 60 || fail "/readyz through the balancer: $(curl -sS "$base/readyz" 2>&1)"
    echo "ok   /readyz through the balancer"

    local role1 role2 dispatcher standby standby_url
    role1=$(role_of "$url1")
    role2=$(role_of "$url2")
    case "$role1/$role2" in
        dispatcher/standby) dispatcher=showcaller-1 standby=showcaller-2 standby_url=$url2 ;;
        standby/dispatcher) dispatcher=showcaller-2 standby=showcaller-1 standby_url=$url1 ;;
        *) fail "expected one dispatcher and one standby, got showcaller-1: '$role1', showcaller-2: '$role2'" ;;
    esac
    echo "ok   $dispatcher is the dispatcher, $standby the standby"

    local token status
    token=$("$engine" exec "$(container_of "$standby")" showcaller token create --role organiser --name smoke 2>/dev/null | tail -n 1)
    [ -n "$token" ] || fail "could not create a token"
    status=$(curl -sS -o "$log/load.json" -w '%{http_code}' -X POST "$base/api/events" \
        -H "Authorization: Bearer $token" -H "x-schedule-name: mekong-dialogue-2022.yaml" \
        --data-binary @schedules/events/mekong-dialogue-2022.yaml)
    case "$status" in
        200 | 201) echo "ok   POST /api/events through the balancer (HTTP $status)" ;;
        *) fail "POST /api/events: HTTP $status $(head -c 300 "$log/load.json")" ;;
    esac

    local standby_id
    standby_id=$(curl -fsS "$standby_url/readyz" | json_field instance)
    # Through the balancer, every 0.2 s, until told to stop: one line per request (the time it was
    # sent, HTTP status, the answering instance's id and role).
    (
        while :; do
            sent=$(now)
            answer=$(curl -sS --max-time 3 -w ' %{http_code}' "$base/readyz" 2>/dev/null || echo ' 000')
            echo "$sent ${answer##* } $(echo "$answer" | json_field instance) $(echo "$answer" | json_field role)"
            sleep 0.2
        done
    ) >"$log/poll.txt" &
    poller=$!
    sleep 1

    local killed_at took
    killed_at=$(now)
    "$engine" kill "$(container_of "$dispatcher")" >/dev/null || fail "could not kill $dispatcher"
    echo "== killed $dispatcher (the dispatcher)"
    took=""
    while [ "$(awk -v a="$killed_at" -v b="$(now)" 'BEGIN { print (b - a < 60) }')" = 1 ]; do
        if [ "$(role_of "$standby_url")" = dispatcher ]; then took=$(since "$killed_at"); break; fi
        sleep 0.1
    done
    [ -n "$took" ] || fail "$standby did not take over within 60 s"
    echo "ok   $standby took over as dispatcher $took s after the kill"
    sleep 3
    kill "$poller" 2>/dev/null || true
    wait "$poller" 2>/dev/null || true
    poller=""
    local after total bad first_standby_answer
    after=$(awk -v a="$killed_at" '$1 >= a' "$log/poll.txt")
    total=$(echo "$after" | grep -c . || true)
    bad=$(echo "$after" | awk '$2 != 200' | grep -c . || true)
    first_standby_answer=$(echo "$after" | awk -v a="$killed_at" -v id="$standby_id" \
        '$2 == 200 && $3 == id && $4 == "dispatcher" { printf "%.2f", $1 - a; exit }')
    [ "$total" -gt 5 ] || fail "too few answers through the balancer during the takeover ($total)"
    [ "$bad" = 0 ] || fail "the balancer failed $bad of $total requests during the takeover: $(echo "$after" | awk '$2 != 200' | head -n 5)"
    echo "ok   the balancer answered $total of $total requests 200 during the takeover" \
        "(the first request answered by the new dispatcher through it was sent ${first_standby_answer:-never} s after the kill)"

    # The killed instance comes back as a standby (as its restart policy would do).
    "$engine" start "$(container_of "$dispatcher")" >/dev/null 2>&1 \
        || "$engine" start "$("$engine" ps -aq --filter "label=com.docker.compose.project=$project" \
            --filter "label=com.docker.compose.service=$dispatcher" | head -n 1)" >/dev/null
    local back_url=$url1
    [ "$dispatcher" = showcaller-2 ] && back_url=$url2
    started=$(now)
    wait_for "$back_url/readyz" 120 || fail "$dispatcher did not come back"
    [ "$(role_of "$back_url")" = standby ] || fail "$dispatcher came back as '$(role_of "$back_url")', not standby"
    echo "ok   $dispatcher came back as a standby ($(since "$started") s)"
    echo "compose smoke test passed ($engine, ${compose_cmd[*]}, image $image)"
}

if [ "$mode" = compose ]; then cluster; else single; fi
