"""Operations endpoints: readiness, Prometheus metrics, and the API docs served from local files."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from app.api.deps import get_runtime
from app.api.openapi import error
from app.core.metrics import CONTENT_TYPE
from app.core.vocabulary import InstanceRole
from app.services import Services
from app.store.db import applied_migrations, migration_heads

DOCS_STATIC = "/docs-static"


async def readiness(runtime: Services) -> tuple[bool, dict]:
    """Database reachable, migrations current, timer and delivery worker running (on the dispatching
    instance; a standby waits for the lease), change notices heard; quarantined events listed."""
    checks: dict[str, dict] = {}
    try:
        async with runtime.db.connect() as conn:
            current = await applied_migrations(conn)
        checks["database"] = {"ok": True}
        heads = migration_heads()
        checks["migrations"] = {"ok": current == heads, "current": sorted(current), "expected": sorted(heads)}
    except Exception as exc:  # any failure to reach the database is the answer, not an error
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0] if str(exc) else type(exc).__name__
        checks["database"] = {"ok": False, "reason": reason}
        checks["migrations"] = {"ok": False, "reason": "database unreachable"}
    running = runtime.running()
    instance = runtime.cluster_status()
    # A standby serves everything but dispatching: it is ready while it waits for the lease.
    standby = instance["role"] == InstanceRole.STANDBY
    checks["dispatcher"] = {"ok": standby or all(running.values()), **running}
    if "listening" in instance:  # several instances: this one must hear the others' changes
        checks["changes"] = {"ok": instance["listening"]}
    # After a restart, events whose outbox may be out of date are re-planned in the background:
    # not ready until every outbox is known up to date (events not in memory yet load on demand).
    engine = runtime.engine
    done, total = engine.progress() if engine is not None else (0, 0)
    in_memory = engine.in_memory() if engine is not None else 0
    checks["events"] = {"ok": done >= total, "up_to_date": done, "total": total, "in_memory": in_memory}
    ready = all(check["ok"] for check in checks.values())
    return ready, {"checks": checks, "quarantined": dict(runtime.quarantined), "instance": instance}


def not_ready_reason(checks: dict[str, dict]) -> str:
    """One line: which checks fail; catching up says how far it is."""
    failing = [name for name, check in checks.items() if not check["ok"] and name != "events"]
    parts = [f"not ready: {', '.join(failing)}"] if failing else []
    events = checks.get("events", {})
    if not events.get("ok", True):
        parts.append(f"catching up: {events['up_to_date']} of {events['total']} events up to date")
    return "; ".join(parts)


def _assets() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).resolve().parent / "static"


def include(app: FastAPI) -> None:
    """Add /healthz, /readyz, /metrics, /docs and /redoc (Swagger UI and ReDoc from packaged files, no CDN)."""

    @app.get("/healthz", tags=["health"], summary="Liveness: answers as soon as the service is up")
    async def healthz():
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["health"],
        summary="Readiness: database, migrations, cue timer, delivery worker, stored events loaded",
        responses={503: error("not ready: `reason` and `checks` say what is wrong", Retry_After="seconds")},
    )
    async def readyz(request: Request):
        ready, body = await readiness(get_runtime(request))
        if ready:
            return {"status": "ready", **body}
        return JSONResponse(
            {"error": "not_ready", "reason": not_ready_reason(body["checks"]), **body},
            status_code=503,
            headers={"Retry-After": "1"},
        )

    @app.get(
        "/metrics",
        tags=["health"],
        summary="Prometheus metrics (text format)",
        response_class=Response,
        responses={
            200: {"description": "Prometheus text format", "content": {CONTENT_TYPE: {"schema": {"type": "string"}}}}
        },
    )
    async def metrics(request: Request):
        return Response(get_runtime(request).metrics.exposition(), media_type=CONTENT_TYPE)

    app.mount(DOCS_STATIC, StaticFiles(directory=str(_assets())), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui():
        return get_swagger_ui_html(
            openapi_url=app.openapi_url,  # type: ignore[arg-type]  # the app sets openapi_url
            title=f"{app.title} - API",
            swagger_js_url=f"{DOCS_STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_STATIC}/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc():
        return get_redoc_html(
            openapi_url=app.openapi_url,  # type: ignore[arg-type]  # the app sets openapi_url
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{DOCS_STATIC}/redoc.standalone.js",
            redoc_favicon_url=f"{DOCS_STATIC}/favicon.png",
            with_google_fonts=False,
        )
