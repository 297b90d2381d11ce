"""Durable, idempotent ingest: items are stored before anyone is told they were accepted.

The idempotency key is (source, external id): a batch sent twice, or re-sent after a crash
before the answer arrived, stores each item once. One transaction per batch: the answer
``{"accepted", "duplicates"}`` is only given after the commit, so an acknowledged item is
never lost, even if the process is killed a moment later.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from nazar.monitor.sources import IncomingItem
from nazar.paths import nazar_home
from nazar.store.db import utcnow
from nazar.store.models import SOURCE_KINDS, Item, Source

MAX_BATCH = 1000  # items per POST /items; documented in the API


class IngestError(ValueError):
    """The batch as a whole cannot be taken (unknown source, too many items...)."""


@dataclass(slots=True)
class IngestResult:
    accepted: int
    duplicates: int
    errors: int = 0
    ids: list[int] = field(default_factory=list)


def _secret() -> bytes:
    """A per-instance key for author hashes, kept under $NAZAR_HOME (never in the database)."""
    path = nazar_home() / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        tmp.replace(path)
    return path.read_text().strip().encode()


def author_ref(author: str | None, key: bytes) -> str | None:
    """A keyed hash of an author handle: the same author groups together, the name is gone."""
    if not author:
        return None
    return hmac.new(key, author.strip().lower().encode(), hashlib.sha256).hexdigest()[:32]


def get_or_create_source(
    session: Session, name: str, kind: str = "push", settings: dict[str, Any] | None = None
) -> Source:
    """The source named ``name``, created if new (safe when two requests create it at once)."""
    source = session.scalar(select(Source).where(Source.name == name))
    if source is not None:
        return source
    if kind not in SOURCE_KINDS:
        raise IngestError(f"unknown source kind {kind!r}; one of {', '.join(SOURCE_KINDS)}")
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(Source)
        .values(name=name, kind=kind, settings=settings or {}, enabled=True, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["name"])
    )
    session.commit()
    return session.scalars(select(Source).where(Source.name == name)).one()


def _insert(session: Session):
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(Item.__table__)


def ingest(session: Session, source: Source, items: Iterable[IncomingItem]) -> IngestResult:
    """Store new items as ``pending`` (the scoring worker picks them up) and commit.

    Items that cannot be scored (no text) are stored too, in state ``error``, so nothing a
    source sent disappears without trace.
    """
    key = _secret()
    now = utcnow()
    rows: dict[str, dict[str, Any]] = {}
    sent = 0
    for item in items:
        sent += 1
        # A batch that repeats an id counts the repeat as a duplicate, like a re-send.
        if item.external_id in rows:
            continue
        has_text = bool(item.text and item.text.strip())
        error = item.error or (None if has_text else "no text")
        rows[item.external_id] = {
            "source_id": source.id,
            "external_id": item.external_id,
            "text": item.text,
            "url": item.url,
            "author_ref": author_ref(item.author, key),
            "extra": item.metadata or {},
            "published_at": item.published_at,
            "received_at": now,
            "state": "error" if error else "pending",
            "error": error,
            "themes": [],
        }
    if not rows:
        return IngestResult(0, 0)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(Item.__table__).on_conflict_do_nothing(
        index_elements=["source_id", "external_id"]
    )
    ids = list(session.scalars(stmt.returning(Item.__table__.c.id), list(rows.values())))
    session.commit()
    errors = sum(1 for r in rows.values() if r["state"] == "error")
    return IngestResult(accepted=len(ids), duplicates=sent - len(ids), errors=errors, ids=ids)


def count_items(session: Session, source: Source | None = None) -> int:
    q = select(func.count()).select_from(Item)
    if source is not None:
        q = q.where(Item.source_id == source.id)
    return int(session.scalar(q) or 0)
