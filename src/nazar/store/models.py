"""The monitoring service's tables: sources, items, verdicts, reviews (audit), keys, alerts.

Every table of the project is reachable from ``Base.metadata`` through this module, so Alembic
and the schema test see all of them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nazar.store.db import Base, BigId, JsonDoc, UTCDateTime, utcnow

SOURCE_KINDS = ("file", "push", "rss", "telegram")
ITEM_STATES = ("pending", "scored", "error")
REVIEW_ACTIONS = ("confirm", "reject", "relabel")
ROLES = ("admin", "analyst", "reviewer", "ingest")


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    settings: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Item(Base):
    """One ingested text. The newest verdict is copied onto the row so lists and trends need
    no join; the full history stays in ``verdicts``."""

    __tablename__ = "items"
    __table_args__ = (
        # The idempotency key of ingest: re-sending an item never duplicates it.
        UniqueConstraint("source_id", "external_id"),
        Index("ix_items_state", "state", "id"),
        Index("ix_items_source_published", "source_id", "published_at"),
        Index("ix_items_label_score", "label", "score"),
        Index("ix_items_text_hash", "text_hash"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(512))
    text: Mapped[str | None] = mapped_column(Text)
    text_hash: Mapped[str | None] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(Text)
    # A keyed hash of the author handle: trends per author stay possible, names stay out.
    author_ref: Mapped[str | None] = mapped_column(String(64))
    extra: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    error: Mapped[str | None] = mapped_column(Text)
    # Newest verdict, denormalised.
    lang: Mapped[str | None] = mapped_column(String(8))
    label: Mapped[str | None] = mapped_column(String(32))
    score: Mapped[float | None] = mapped_column(Float)
    flagged: Mapped[bool | None] = mapped_column(Boolean)
    themes: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    model: Mapped[str | None] = mapped_column(String(64))
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Reviewer's word, when given: it wins over the model in lists and trends.
    review_state: Mapped[str | None] = mapped_column(String(10))
    reviewed_label: Mapped[str | None] = mapped_column(String(32))
    reviewed_themes: Mapped[list[str] | None] = mapped_column(JsonDoc)

    source: Mapped[Source] = relationship(lazy="joined")

    @property
    def final_label(self) -> str | None:
        return self.reviewed_label or self.label


class Verdict(Base):
    """Every scoring of an item, with the model that made it (re-scoring appends)."""

    __tablename__ = "verdicts"
    __table_args__ = (Index("ix_verdicts_item", "item_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    model: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(Float)
    flagged: Mapped[bool] = mapped_column(Boolean)
    scores: Mapped[dict[str, float]] = mapped_column(JsonDoc)
    lang: Mapped[str] = mapped_column(String(8))
    themes: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=list)
    matches: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReviewDecision(Base):
    """The append-only audit log of reviewers' decisions (who, when, what, before/after)."""

    __tablename__ = "review_decisions"
    __table_args__ = (Index("ix_review_decisions_item", "item_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    reviewer: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(10))
    label_before: Mapped[str | None] = mapped_column(String(32))
    label_after: Mapped[str | None] = mapped_column(String(32))
    themes_before: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    themes_after: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@event.listens_for(ReviewDecision, "before_update")
@event.listens_for(ReviewDecision, "before_delete")
def _audit_is_append_only(_mapper: Any, _conn: Any, target: ReviewDecision) -> None:
    raise PermissionError("the review audit log is append-only")


class ApiKey(Base):
    """API keys are stored as SHA-256 of the key: a stolen database gives no usable key."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AlertRule(Base):
    """Fires when the share of ``violent_extremist`` in a source over the last ``window_days``
    exceeds its share over the ``baseline_days`` before by more than ``margin``."""

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    window_days: Mapped[int] = mapped_column(default=1)
    baseline_days: Mapped[int] = mapped_column(default=14)
    margin: Mapped[float] = mapped_column(Float, default=0.05)
    min_items: Mapped[int] = mapped_column(default=20)
    webhook_url: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_rule_fired", "rule_id", "fired_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"))
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    value: Mapped[float] = mapped_column(Float)
    baseline: Mapped[float] = mapped_column(Float)
    count: Mapped[int] = mapped_column()
    details: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    webhook_status: Mapped[str | None] = mapped_column(String(200))


# Banks of known content (nazar.match) and the counter-narrative catalogue (nazar.counter):
# imported here so Base.metadata holds every table.
from nazar.store import bank_models, counter_models  # noqa: E402, F401
