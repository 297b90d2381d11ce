from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Each test gets its own NAZAR_HOME, so no test sees another's models or files."""
    home = tmp_path_factory.mktemp("nazar_home")
    monkeypatch.setenv("NAZAR_HOME", str(home))
    return home


POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_database(name: str) -> str:
    """A fresh PostgreSQL database on the real server; its URL.

    Skips when no server answers, unless ``NAZAR_REQUIRE_POSTGRES=1`` (set by ``.ci/run``),
    where a missing server is a failure.
    """
    import os

    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(
            POSTGRES_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"),
            isolation_level="AUTOCOMMIT",
        )
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
    except Exception as exc:
        if os.environ.get("NAZAR_REQUIRE_POSTGRES") == "1":
            raise
        pytest.skip(f"no PostgreSQL server at 127.0.0.1:5432 ({type(exc).__name__})")
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


@pytest.fixture(scope="session")
def detector():
    """The shipped detector, loaded once for the whole run."""
    from nazar.detect.pipeline import Detector

    return Detector.load()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """Each test twice: on a real SQLite file, then on a fresh database of the real PostgreSQL
    server (one per test module, named after it)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'nazar.sqlite3'}"
    return postgres_database(f"nazar_{request.module.__name__}")


@pytest.fixture
def open_service(detector):
    """``with open_service(database_url) as (client, keys):`` the real app on that database,
    its background worker running, with one API key per role."""
    from contextlib import contextmanager

    from fastapi.testclient import TestClient

    from nazar.api.app import ServiceConfig, create_app
    from nazar.api.auth import create_key

    @contextmanager
    def start(url: str):
        app = create_app(ServiceConfig(database_url=url, run_alerts=False), lambda: detector)
        with TestClient(app) as client:
            with app.state.nazar.sessions() as session:
                keys = {
                    role: create_key(session, role)[0]
                    for role in ("admin", "analyst", "reviewer", "ingest")
                }
            yield client, keys
        app.state.nazar.engine.dispose()

    return start
