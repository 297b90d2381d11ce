"""Banks of known content (``nazar.match``): named collections of items with provenance.

``banks.revision`` goes up with every change to a bank's items (add, enable, disable): the
on-disk match index under ``$NAZAR_HOME/banks/`` records the revision it was built for, so a
stale index is noticed and brought up to date on the next use.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nazar.store.db import Base, BigId, JsonDoc, UTCDateTime, utcnow

BANK_KINDS = ("block", "allow")


class Bank(Base):
    __tablename__ = "banks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # block: matches are reported; allow: matches suppress block matches (nazar.match.api).
    kind: Mapped[str] = mapped_column(String(10), default="block")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Per-method maximum distance, e.g. {"near_duplicate": 0.4, "semantic": null (= off)}.
    thresholds: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=0)


class BankItem(Base):
    __tablename__ = "bank_items"
    __table_args__ = (
        # Re-adding an item with the same id updates nothing and duplicates nothing.
        UniqueConstraint("bank_id", "item_id"),
        Index("ix_bank_items_bank_hash", "bank_id", "text_hash"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"))
    # The external id: the input record's ``id`` field, or one generated from the text hash.
    item_id: Mapped[str] = mapped_column(String(512))
    text: Mapped[str] = mapped_column(Text)
    # SHA-256 (hex) of the canonical text (nazar.match.signatures.canonical).
    text_hash: Mapped[str] = mapped_column(String(64))
    lang: Mapped[str | None] = mapped_column(String(8))
    source: Mapped[str | None] = mapped_column(Text)
    added_by: Mapped[str | None] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    labels: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    themes: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    # "metadata" is reserved on declarative classes: the attribute is ``meta``.
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JsonDoc, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
