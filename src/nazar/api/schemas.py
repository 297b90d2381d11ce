"""Typed request and response bodies of the HTTP API (the OpenAPI schema at /docs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from nazar.monitor.ingest import MAX_BATCH

MAX_TEXT = 100_000  # characters per text; longer texts are refused, not silently cut


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IncomingItemIn(BaseModel):
    """One item to ingest. Unknown fields are kept as the item's metadata."""

    model_config = ConfigDict(extra="allow")

    external_id: str = Field(min_length=1, max_length=512)
    text: str | None = Field(default=None, max_length=MAX_TEXT)
    published_at: datetime | None = None
    url: str | None = Field(default=None, max_length=4096)
    author: str | None = Field(default=None, max_length=512)


class IngestIn(Strict):
    source: str = Field(min_length=1, max_length=200)
    items: list[IncomingItemIn] = Field(min_length=1, max_length=MAX_BATCH)


class IngestOut(BaseModel):
    accepted: int
    duplicates: int
    errors: int = Field(description="stored, but with no text to score")


class EvidenceOut(BaseModel):
    start: int
    end: int
    text: str
    why: str


class ItemOut(BaseModel):
    id: int
    source: str
    external_id: str
    text: str | None
    url: str | None
    published_at: datetime | None
    received_at: datetime
    state: Literal["pending", "scored", "error"]
    error: str | None
    lang: str | None
    label: str | None
    final_label: str | None
    score: float | None
    flagged: bool | None
    themes: list[str]
    model: str | None
    scored_at: datetime | None
    review_state: str | None
    reviewed_label: str | None
    reviewed_themes: list[str] | None
    metadata: dict[str, Any]


class ReviewEntryOut(BaseModel):
    id: int
    reviewer: str
    action: str
    label_before: str | None
    label_after: str | None
    themes_before: list[str]
    themes_after: list[str]
    note: str | None
    created_at: datetime


class ItemDetailOut(ItemOut):
    scores: dict[str, float] = {}
    evidence: list[EvidenceOut] = []
    matches: list[dict[str, Any]] = []
    verdicts: int = Field(0, description="how many times the item was scored")
    reviews: list[ReviewEntryOut] = []


class ItemListOut(BaseModel):
    items: list[ItemOut]
    total: int


class ClassifyIn(Strict):
    text: str | None = Field(default=None, max_length=MAX_TEXT)
    texts: list[str] | None = Field(default=None, max_length=100)
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)


class VerdictOut(BaseModel):
    label: str | None
    flagged: bool
    score: float | None
    scores: dict[str, float]
    lang: str
    themes: list[str]
    evidence: list[EvidenceOut]
    model: str
    error: str | None = None


class ClassifyOut(BaseModel):
    results: list[VerdictOut]


class ReviewIn(Strict):
    action: Literal["confirm", "reject", "relabel"]
    label: str | None = None
    themes: list[str] | None = None
    note: str | None = Field(default=None, max_length=4000)


class ReviewOut(BaseModel):
    decision: ReviewEntryOut
    item: ItemOut


class TrendPointOut(BaseModel):
    bucket: str
    group: str
    count: int
    total: int
    positive: int
    share: float
    ci_low: float
    ci_high: float


class TrendsOut(BaseModel):
    group_by: str
    interval: str
    points: list[TrendPointOut]


class SourceIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["file", "push", "rss", "telegram"]
    settings: dict[str, Any] = {}
    enabled: bool = True


class SourceOut(BaseModel):
    id: int
    name: str
    kind: str
    settings: dict[str, Any]
    enabled: bool
    created_at: datetime
    items: int = 0


class AlertRuleIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    source: str | None = None
    window_days: int = Field(1, ge=1, le=90)
    baseline_days: int = Field(14, ge=1, le=365)
    margin: float = Field(0.05, ge=0.0, le=1.0)
    min_items: int = Field(20, ge=1)
    webhook_url: str | None = Field(default=None, pattern=r"^https?://")
    enabled: bool = True


class AlertRuleOut(BaseModel):
    id: int
    name: str
    source: str | None
    window_days: int
    baseline_days: int
    margin: float
    min_items: int
    webhook_url: str | None
    enabled: bool


class AlertOut(BaseModel):
    id: int
    rule: str | None
    source: str | None
    fired_at: datetime
    window_start: datetime
    window_end: datetime
    value: float
    baseline: float
    count: int
    webhook_status: str | None


class MeOut(BaseModel):
    name: str
    role: str
    permissions: list[str]
    labels: list[str] = Field(description="the taxonomy's labels (nazar.types.LABELS)")
    themes: list[str] = Field(description="the taxonomy's themes (nazar.types.THEMES)")
