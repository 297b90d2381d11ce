"""Typed request and response bodies of the counter-narrative API (``/api/v1/counter``).

Field values (kinds, languages, themes, URLs, dates) are checked by
``nazar.counter.catalogue.validate_record``, the same rules as the catalogue files, so the API
and ``nazar counter validate`` report the same problems in the same words.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_TEXT = 100_000
Source = Literal["starter", "database"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CounterItemIn(Strict):
    """A catalogue item as sent to POST /counter and PUT /counter/{item_id}."""

    item_id: str = Field(min_length=1, max_length=200)
    title: str
    kind: str = Field(description="video, article, sermon, testimony, helpline or campaign")
    langs: list[str] = Field(description="ar, ru, kk, en")
    themes: list[str] = Field(description="the taxonomy themes (narratives) it answers")
    audience: str | None = None
    summary: str = Field(max_length=MAX_TEXT, description="summary or transcript")
    url: str | None = Field(default=None, max_length=4096)
    local_file: str | None = Field(default=None, max_length=4096)
    source_org: str | None = None
    date: str | None = Field(default=None, description="YYYY-MM-DD")
    review_status: str = Field(default="draft", description="draft, approved or retired")
    example: bool = False


class CounterItemReplaceIn(CounterItemIn):
    """PUT body: the whole item; ``item_id`` may be left out (it is in the path)."""

    item_id: str | None = Field(default=None, min_length=1, max_length=200)  # type: ignore[assignment]


class CounterItemPatchIn(Strict):
    """PATCH body: only the fields to change (e.g. ``{"review_status": "approved"}``)."""

    title: str | None = None
    kind: str | None = None
    langs: list[str] | None = None
    themes: list[str] | None = None
    audience: str | None = None
    summary: str | None = Field(default=None, max_length=MAX_TEXT)
    url: str | None = Field(default=None, max_length=4096)
    local_file: str | None = Field(default=None, max_length=4096)
    source_org: str | None = None
    date: str | None = None
    review_status: str | None = None
    example: bool | None = None


class CounterItemOut(BaseModel):
    item_id: str
    title: str
    kind: str
    langs: list[str]
    themes: list[str]
    audience: str | None
    summary: str
    url: str | None
    local_file: str | None
    source_org: str | None
    date: str | None
    review_status: str
    example: bool
    created_at: datetime | None = Field(description="null for starter items")
    updated_at: datetime | None


class CounterItemResponse(CounterItemOut):
    source: Source


class CounterListOut(BaseModel):
    items: list[CounterItemOut]
    total: int
    source: Source = Field(description="starter: nothing imported yet, the shipped examples")


class ImportErrorOut(BaseModel):
    index: int = Field(description="position of the record in the request, from 0")
    item_id: str | None
    error: str


class ImportOut(BaseModel):
    created: int
    updated: int
    unchanged: int
    errors: list[ImportErrorOut]


class SuggestIn(Strict):
    """Either ``text`` (with optional ``lang`` and ``themes``; the detector supplies what is
    missing) or ``item_id`` of a stored post."""

    text: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT)
    lang: str | None = Field(default=None, min_length=2, max_length=8)
    themes: list[str] | None = None
    item_id: int | None = None
    k: int = Field(default=5, ge=1, le=50)


class SuggestionOut(BaseModel):
    item_id: str
    title: str
    lang: str = Field(description="the language the item is offered in")
    themes: list[str]
    score: float
    why: str


class SuggestOut(BaseModel):
    suggestions: list[SuggestionOut]
    lang: str = Field(description="the post's language")
    themes: list[str] = Field(description="the post's narratives used for the ranking")
    item_id: int | None = Field(description="the stored post, when suggested for one")
    source: Source


class EventIn(Strict):
    counter_item_id: str = Field(min_length=1, max_length=200)
    event: Literal["shown", "clicked", "sent"]
    item_id: int | None = Field(default=None, description="the post it answered")
    theme: str | None = Field(
        default=None, description="narrative; default: first the item answers of the post's"
    )
    lang: str | None = Field(
        default=None,
        min_length=2,
        max_length=8,
        description="audience language; default: the post's, else the item's only language",
    )


class EventOut(BaseModel):
    id: int
    counter_item_id: str
    item_id: int | None
    event: str
    theme: str | None
    lang: str | None
    actor: str
    created_at: datetime


class UsageRowOut(BaseModel):
    theme: str | None
    lang: str | None
    shown: int
    clicked: int
    sent: int


class UsageThemeOut(BaseModel):
    theme: str | None
    shown: int
    clicked: int
    sent: int


class UsageItemOut(BaseModel):
    counter_item_id: str
    shown: int
    clicked: int
    sent: int


class UsageOut(BaseModel):
    since: datetime | None
    totals: dict[str, int]
    rows: list[UsageRowOut] = Field(description="per theme and language")
    by_theme: list[UsageThemeOut]
    by_item: list[UsageItemOut]


class NarrativeOut(BaseModel):
    theme: str
    lang: str = Field(description="the posts' language")
    posts: int = Field(description="flagged or reviewer-confirmed posts with this narrative")
    last_seen: datetime | None
    items_in_language: int = Field(description="approved items answering it in this language")
    items_reader_can_read: int = Field(description="... in a language its reader likely reads")
    reader_languages: list[str]
    item_languages: list[str] = Field(description="languages of approved items answering it")
    no_item_in_language: bool
    no_item_reader_can_read: bool


class GapsOut(BaseModel):
    source: Source
    since: datetime | None
    posts: int = Field(description="flagged or reviewer-confirmed posts considered")
    narratives: list[NarrativeOut] = Field(description="every (theme, language) seen")
    gaps: list[NarrativeOut] = Field(description="those with no approved item in the language")


def item_out(entry: Any) -> CounterItemOut:
    """``service.Entry`` -> response model."""
    return CounterItemOut(
        **entry.item.to_dict(), created_at=entry.created_at, updated_at=entry.updated_at
    )
