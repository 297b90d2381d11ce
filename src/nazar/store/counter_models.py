"""Counter-narrative material in the service's database (``nazar.counter.service``).

``counter_items`` holds one row per ``nazar.counter.catalogue.CounterItem`` (same fields);
``counter_events`` records each use of a suggestion (shown, clicked, sent), for the per-theme
usage report.

Deleting an item keeps its row with ``deleted_at`` set: the catalogue stays "the database's"
once anything was imported (the starter catalogue is only used before that), and events keep
pointing at an item id that existed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nazar.store.db import Base, BigId, JsonDoc, UTCDateTime, utcnow

COUNTER_EVENTS = ("shown", "clicked", "sent")
MAX_COUNTER_ID = 200


class CounterRecord(Base):
    """One catalogue item (``CounterItem`` fields) with its row's history."""

    __tablename__ = "counter_items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[str] = mapped_column(String(MAX_COUNTER_ID), unique=True)
    title: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    langs: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    themes: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    audience: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(Text)
    local_file: Mapped[str | None] = mapped_column(Text)
    source_org: Mapped[str | None] = mapped_column(Text)
    date: Mapped[str | None] = mapped_column(String(10))
    review_status: Mapped[str] = mapped_column(String(10), default="draft")
    example: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CounterEvent(Base):
    """A suggestion used: shown to, clicked by or sent to someone, for a post and a narrative."""

    __tablename__ = "counter_events"
    __table_args__ = (
        Index("ix_counter_events_theme_lang", "theme", "lang"),
        Index("ix_counter_events_counter_item", "counter_item_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # The catalogue item's id (not a foreign key: starter items live in no table).
    counter_item_id: Mapped[str] = mapped_column(String(MAX_COUNTER_ID))
    # The post it answered, when known.
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    event: Mapped[str] = mapped_column(String(10))
    theme: Mapped[str | None] = mapped_column(String(32))
    # The audience's language (the post's, when the post is known).
    lang: Mapped[str | None] = mapped_column(String(8))
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
