"""Dependency injection for the routes: the service state, a database session, the caller."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from nazar.api.auth import Principal, authenticate


@dataclass
class ServiceState:
    """Everything a request may need; built once by ``create_app``."""

    engine: Engine
    sessions: sessionmaker
    detector_loader: Callable[[], Any]
    worker: Any = None  # ScoringWorker when scoring runs in-process
    feeds: Any = None  # FeedManager when RSS/Atom sources are polled here
    _detector: Any = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def detector(self) -> Any:
        # Loaded on first use: the API answers /healthz and ingest before the model is in.
        with self._lock:
            if self._detector is None:
                self._detector = self.detector_loader()
            return self._detector


def get_state(request: Request) -> ServiceState:
    return request.app.state.nazar


def get_session(state: ServiceState = Depends(get_state)) -> Iterator[Session]:
    with state.sessions() as session:
        yield session


_bearer = HTTPBearer(auto_error=False, description="An API key from `nazar keys create`")


def get_principal(
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    session: Session = Depends(get_session),
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            401, "an API key is required: Authorization: Bearer KEY", {"WWW-Authenticate": "Bearer"}
        )
    principal = authenticate(session, credentials.credentials)
    if principal is None:
        raise HTTPException(401, "unknown or revoked API key", {"WWW-Authenticate": "Bearer"})
    return principal


def require(permission: str) -> Callable[..., Principal]:
    """A dependency that lets a request through only if the caller's role has ``permission``."""

    def check(principal: Principal = Depends(get_principal)) -> Principal:
        if not principal.can(permission):
            raise HTTPException(403, f"the {principal.role} role may not do this ({permission})")
        return principal

    return check
