"""The service: FastAPI app under /api/v1, the dashboard at /, Prometheus metrics at /metrics.

``create_app`` wires storage, the detector and the background loops (scoring, alerts, feed
polling) into one app; tests build it on a temporary database the same way ``nazar serve``
does.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nazar import __version__
from nazar.api.auth import PERMISSIONS, Principal
from nazar.api.deps import ServiceState, get_principal
from nazar.api.routes import classify, items, review, sources, trends
from nazar.api.schemas import MeOut
from nazar.store.db import create_engine, migrate, session_factory
from nazar.store.models import Item
from nazar.types import LABELS, THEMES

log = logging.getLogger("nazar.api")

MAX_BODY_BYTES = 16 * 1024 * 1024  # a full batch of 1,000 long posts fits; more is refused


@dataclass
class ServiceConfig:
    database_url: str | None = None
    run_worker: bool = True  # score in a thread of this process
    run_alerts: bool = True
    alert_interval: float = 60.0
    run_feeds: bool = False  # set by `nazar serve`; RSS polling needs the network
    max_body_bytes: int = MAX_BODY_BYTES
    warm_up: bool = False  # `nazar serve` loads the encoder and suggester in the background


class BodyLimit:
    """Refuses request bodies over the limit with 413, whether or not Content-Length is sent."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(self.limit, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLarge:
            await _too_large(self.limit, send)


class _BodyTooLarge(Exception):
    pass


async def _too_large(limit: int, send: Send) -> None:
    response = JSONResponse(
        {"error": "request_too_large", "detail": f"request body over {limit:,} bytes"}, 413
    )
    await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


class Metrics:
    """Aggregate counters only: never a text, an id or an author."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "nazar_http_requests",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "nazar_http_request_seconds",
            "HTTP request latency",
            ["route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
        )


def _default_detector() -> Any:
    from nazar.detect.ensemble import EnsembleDetector

    return EnsembleDetector.load()


def create_app(
    config: ServiceConfig | None = None, detector_loader: Callable[[], Any] | None = None
) -> FastAPI:
    config = config or ServiceConfig()
    engine = create_engine(config.database_url)
    migrate(engine)
    state = ServiceState(engine, session_factory(engine), detector_loader or _default_detector)
    metrics = Metrics()
    stop = threading.Event()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from nazar.monitor.worker import ScoringWorker

        loops: list[threading.Thread] = []
        if config.run_worker:
            state.worker = ScoringWorker(state.sessions, state.detector)
            state.worker.start()
        if config.run_alerts:
            loops.append(_start_loop("nazar-alerts", config.alert_interval, stop, _alerts(state)))
        state.feeds = _start_feeds(state) if config.run_feeds else None
        if config.warm_up:
            threading.Thread(
                target=_warm_up, args=(state,), name="nazar-warm-up", daemon=True
            ).start()
        try:
            yield
        finally:
            stop.set()
            if state.feeds is not None:
                state.feeds.stop()
            if state.worker is not None:
                state.worker.stop()
            for loop in loops:
                loop.join(5)
            engine.dispose()

    app = FastAPI(
        title="Nazar",
        version=__version__,
        description="Detect, match and monitor violent-extremist propaganda in Arabic, Russian, "
        "Kazakh and English. Every endpoint under /api/v1 needs `Authorization: Bearer KEY` "
        "(keys: `nazar keys create --role ROLE`).",
        lifespan=lifespan,
    )
    app.state.nazar = state

    @app.middleware("http")
    async def count_requests(request: Request, call_next: Any) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        metrics.requests.labels(request.method, path, str(response.status_code)).inc()
        metrics.latency.labels(path).observe(time.perf_counter() - started)
        return response

    app.add_middleware(BodyLimit, limit=config.max_body_bytes)
    _error_handlers(app)

    api = APIRouter(prefix="/api/v1")
    for module in (items, classify, review, trends, sources):
        api.include_router(module.router)
    for extra in _extra_routers():
        api.include_router(extra)

    @api.get("/me", response_model=MeOut, tags=["auth"])
    def me(principal: Principal = Depends(get_principal)) -> MeOut:
        return MeOut(
            name=principal.name,
            role=principal.role,
            permissions=sorted(PERMISSIONS[principal.role]),
            labels=list(LABELS),
            themes=list(THEMES),
        )

    app.include_router(api)

    @app.get("/healthz", tags=["system"])
    def healthz() -> dict[str, Any]:
        try:
            with state.sessions() as session:
                pending = session.scalar(
                    select(func.count()).select_from(Item).where(Item.state == "pending")
                )
        except Exception:
            return JSONResponse({"status": "error", "database": "unreachable"}, 503)
        return {"status": "ok", "version": __version__, "pending": int(pending or 0)}

    @app.get("/metrics", tags=["system"], include_in_schema=False)
    def metrics_endpoint() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    static = resources.files("nazar") / "api" / "static"
    app.mount("/", StaticFiles(directory=str(static), html=True, check_dir=False), name="ui")
    return app


def _extra_routers() -> list[APIRouter]:
    """Routers of other stages (banks, counter-narratives) when they are installed."""
    found = []
    for module in ("nazar.counter.routes", "nazar.match.routes"):
        try:
            found.append(__import__(module, fromlist=["router"]).router)
        except ImportError:
            continue
    return found


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse(
            {"error": _code(exc.status_code), "detail": exc.detail},
            exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
            for e in exc.errors()
        ]
        return JSONResponse({"error": "invalid_request", "detail": details}, 422)

    @app.exception_handler(Exception)
    async def crashed(_: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled %s", type(exc).__name__, exc_info=exc)
        return JSONResponse({"error": "internal_error", "detail": "see the server log"}, 500)


def _code(status: int) -> str:
    return {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        409: "conflict",
        413: "request_too_large",
        422: "invalid_request",
    }.get(status, "error")


def _start_loop(
    name: str, every: float, stop: threading.Event, step: Callable[[], None]
) -> threading.Thread:
    def run() -> None:
        while not stop.wait(every):
            try:
                step()
            except Exception:
                log.exception("%s failed; retrying next tick", name)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


def _alerts(state: ServiceState) -> Callable[[], None]:
    def step() -> None:
        from nazar.monitor.alerts import evaluate

        with state.sessions() as session:
            evaluate(session)

    return step


def _warm_up(state: ServiceState) -> None:
    """Load what the first reviewer would otherwise wait for (encoder, suggester)."""
    try:
        from nazar.counter.service import warm_up
    except ImportError:
        return
    try:
        warm_up(state.sessions)
    except Exception:  # warming is an optimisation; a failure shows again on real use
        log.warning("warm-up failed", exc_info=True)


def _start_feeds(state: ServiceState) -> Any:
    """Poll the enabled RSS/Atom sources in the background, ingesting what is new."""
    from nazar.monitor.feeds import start_feed_polling

    return start_feed_polling(state)
