"""The counter-narrative catalogue inside the monitoring service's database.

Database-side functions used by the HTTP routes (``nazar.counter.routes``) and the CLI
(``nazar counter import|export``):

* catalogue CRUD and import (upsert by ``item_id``, every bad record reported, the rest stored)
  and export;
* ``active_catalogue``: the database's catalogue, or the starter catalogue shipped with Nazar
  while nothing has ever been written to the database (``source`` says which);
* suggestions for a text or a stored post, with a ``Suggester`` cached per catalogue version
  (rebuilt only when the catalogue changes: item count + newest ``updated_at``);
* engagement events (shown, clicked, sent) and usage per theme and language;
* the gap report: narratives seen in flagged posts, by language, that the catalogue does not
  answer in that language, or in any language the post's reader likely reads.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from nazar.counter.catalogue import CounterItem, starter_catalogue, validate_record
from nazar.counter.suggest import Post
from nazar.store.counter_models import COUNTER_EVENTS, MAX_COUNTER_ID, CounterEvent, CounterRecord
from nazar.store.db import utcnow
from nazar.store.models import Item
from nazar.types import POSITIVE_LABEL

SOURCE_STARTER = "starter"
SOURCE_DATABASE = "database"
ITEM_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(CounterItem))
MAX_IMPORT = 10_000  # records per import request


class CounterError(ValueError):
    """A request the catalogue cannot honour; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str | list[str], status: int = 422) -> None:
        self.detail = message
        self.status = status
        super().__init__(message if isinstance(message, str) else "; ".join(message))


# -- rows <-> items --------------------------------------------------------------------------
def to_item(row: CounterRecord) -> CounterItem:
    return CounterItem(**{name: getattr(row, name) for name in ITEM_FIELDS})


def _apply(row: CounterRecord, item: CounterItem) -> bool:
    """Copy ``item`` onto ``row``; whether anything changed."""
    changed = False
    for name in ITEM_FIELDS:
        value = getattr(item, name)
        if isinstance(value, list):
            value = list(value)
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def check_record(record: Any) -> list[str]:
    """Every problem of one catalogue record, including the database's own limits."""
    errors = validate_record(record)
    item_id = record.get("item_id") if isinstance(record, dict) else None
    if isinstance(item_id, str) and len(item_id) > MAX_COUNTER_ID:
        errors.append(f"item_id is longer than {MAX_COUNTER_ID} characters")
    return errors


def item_from_record(record: Any) -> CounterItem:
    errors = check_record(record)
    if errors:
        raise CounterError(errors)
    return CounterItem(**{k: record[k] for k in ITEM_FIELDS if k in record})


# -- the active catalogue ----------------------------------------------------------------------
def _live() -> Any:
    return CounterRecord.deleted_at.is_(None)


def catalogue_source(session: Session) -> str:
    """``database`` once any item was ever written to the database, else ``starter``."""
    any_row = session.scalar(select(CounterRecord.id).limit(1))
    return SOURCE_DATABASE if any_row is not None else SOURCE_STARTER


def _rows(session: Session) -> list[CounterRecord]:
    return list(session.scalars(select(CounterRecord).where(_live()).order_by(CounterRecord.id)))


@dataclass
class Entry:
    """A catalogue item with its row's dates (``None`` for starter items)."""

    item: CounterItem
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass
class Catalogue:
    source: str
    entries: list[Entry] = field(default_factory=list)

    @property
    def items(self) -> list[CounterItem]:
        return [e.item for e in self.entries]

    def get(self, item_id: str) -> Entry | None:
        return next((e for e in self.entries if e.item.item_id == item_id), None)


def active_catalogue(session: Session) -> Catalogue:
    """The catalogue suggestions come from: the database's, or the starter one before any
    item was ever written to the database."""
    if catalogue_source(session) == SOURCE_STARTER:
        return Catalogue(SOURCE_STARTER, [Entry(i) for i in starter_catalogue()])
    return Catalogue(
        SOURCE_DATABASE, [Entry(to_item(r), r.created_at, r.updated_at) for r in _rows(session)]
    )


def list_items(
    session: Session,
    *,
    lang: str | None = None,
    theme: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    q: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Entry], int, str]:
    """Filtered catalogue entries (a page of them), the number that match, and the source."""
    catalogue = active_catalogue(session)
    needle = (q or "").strip().casefold()

    def keep(item: CounterItem) -> bool:
        if lang is not None and lang not in item.langs:
            return False
        if theme is not None and theme not in item.themes:
            return False
        if kind is not None and item.kind != kind:
            return False
        if status is not None and item.review_status != status:
            return False
        if needle:
            hay = " ".join(
                x or "" for x in (item.item_id, item.title, item.summary, item.source_org)
            )
            return needle in hay.casefold()
        return True

    matching = [e for e in catalogue.entries if keep(e.item)]
    return matching[offset : offset + limit], len(matching), catalogue.source


def get_entry(session: Session, item_id: str) -> tuple[Entry, str]:
    """One item of the active catalogue; ``CounterError`` 404 if there is none."""
    catalogue = active_catalogue(session)
    entry = catalogue.get(item_id)
    if entry is None:
        raise CounterError(f"no catalogue item {item_id!r}", 404)
    return entry, catalogue.source


def _row(session: Session, item_id: str) -> CounterRecord | None:
    return session.scalar(select(CounterRecord).where(CounterRecord.item_id == item_id))


def create_item(session: Session, item: CounterItem) -> CounterRecord:
    """Add an item; ``CounterError`` 409 if one with that id exists."""
    row = _row(session, item.item_id)
    now = utcnow()
    if row is not None and row.deleted_at is None:
        raise CounterError(f"catalogue item {item.item_id!r} already exists", 409)
    if row is None:
        row = CounterRecord(created_at=now)
        session.add(row)
    else:  # a deleted item comes back under its old id
        row.deleted_at, row.created_at = None, now
    _apply(row, item)
    row.updated_at = now
    session.commit()
    return row


def replace_item(session: Session, item_id: str, item: CounterItem) -> CounterRecord:
    """Replace every field of an existing item; ``CounterError`` 404 if there is none."""
    row = _row(session, item_id)
    if row is None or row.deleted_at is not None:
        raise CounterError(f"no catalogue item {item_id!r} in the database", 404)
    if item.item_id != item_id:
        raise CounterError(f"item_id {item.item_id!r} in the body does not match {item_id!r}")
    if _apply(row, item):
        row.updated_at = utcnow()
    session.commit()
    return row


def update_item(session: Session, item_id: str, changes: dict[str, Any]) -> CounterRecord:
    """Change some fields of an existing item (validated as a whole record)."""
    row = _row(session, item_id)
    if row is None or row.deleted_at is not None:
        raise CounterError(f"no catalogue item {item_id!r} in the database", 404)
    record = to_item(row).to_dict()
    record.update(changes)
    return replace_item(session, item_id, item_from_record(record))


def delete_item(session: Session, item_id: str) -> None:
    row = _row(session, item_id)
    if row is None or row.deleted_at is not None:
        raise CounterError(f"no catalogue item {item_id!r} in the database", 404)
    row.deleted_at = row.updated_at = utcnow()
    session.commit()


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": self.errors,
        }


def import_records(session: Session, records: Sequence[Any]) -> ImportResult:
    """Upsert catalogue records (dicts or ``CounterItem``) by ``item_id``.

    Every bad record is reported as ``{index, item_id, error}`` (index from 0) and skipped; the
    rest are stored in one transaction. A record whose id repeats an earlier one of the same
    import is an error.
    """
    if len(records) > MAX_IMPORT:
        raise CounterError(f"at most {MAX_IMPORT:,} records per import, got {len(records):,}", 413)
    result = ImportResult()
    valid: list[tuple[int, CounterItem]] = []
    seen: dict[str, int] = {}
    for index, record in enumerate(records):
        if isinstance(record, CounterItem):
            record = record.to_dict()
        item_id = record.get("item_id") if isinstance(record, dict) else None
        problems = check_record(record)
        if not problems and item_id in seen:
            problems = [f"duplicate item_id {item_id!r} (first at index {seen[item_id]})"]
        if problems:
            result.errors.append(
                {
                    "index": index,
                    "item_id": item_id if isinstance(item_id, str) else None,
                    "error": "; ".join(problems),
                }
            )
            continue
        seen[item_id] = index
        valid.append((index, item_from_record(record)))
    existing = (
        {
            r.item_id: r
            for r in session.scalars(
                select(CounterRecord).where(
                    CounterRecord.item_id.in_([i.item_id for _, i in valid])
                )
            )
        }
        if valid
        else {}
    )
    now = utcnow()
    for _, item in valid:
        row = existing.get(item.item_id)
        if row is None:
            row = CounterRecord(created_at=now, updated_at=now)
            _apply(row, item)
            session.add(row)
            result.created += 1
        elif row.deleted_at is not None:
            row.deleted_at, row.created_at, row.updated_at = None, now, now
            _apply(row, item)
            result.created += 1
        elif _apply(row, item):
            row.updated_at = now
            result.updated += 1
        else:
            result.unchanged += 1
    session.commit()
    return result


def export_items(session: Session, status: str | None = None) -> tuple[list[CounterItem], str]:
    """Every item of the active catalogue (optionally of one review status) and its source."""
    catalogue = active_catalogue(session)
    items = [i for i in catalogue.items if status is None or i.review_status == status]
    return items, catalogue.source


# -- suggestions -------------------------------------------------------------------------------
def similarity_setting() -> str:
    """``NAZAR_COUNTER_SIMILARITY``: ``auto`` (encoder if it loads), ``encoder`` or ``lexical``."""
    return os.environ.get("NAZAR_COUNTER_SIMILARITY", "").strip() or "auto"


class _SuggesterCache:
    """Suggesters per (database, catalogue version): rebuilt only when the catalogue changes."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._lock = threading.Lock()
        # One build at a time: several first requests (one per review card) must not each
        # load the encoder and embed the whole catalogue.
        self._build_lock = threading.Lock()
        self._entries: OrderedDict[tuple[Any, ...], tuple[Any, Catalogue]] = OrderedDict()
        self.builds = 0

    def get(self, session: Session) -> tuple[Any, Catalogue, threading.Lock]:
        from nazar.counter.suggest import Suggester

        key = catalogue_version(session)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found[0], found[1], self._lock
        with self._build_lock:
            with self._lock:
                found = self._entries.get(key)
            if found is not None:  # built by the request we waited for
                return found[0], found[1], self._lock
            catalogue = active_catalogue(session)
            suggester = Suggester(catalogue.items, similarity=key[1])
            with self._lock:
                self._entries[key] = (suggester, catalogue)
                self.builds += 1
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        return suggester, catalogue, self._lock


def warm_up(sessions: Any) -> None:
    """Build the suggester (and load the encoder) before the first reviewer asks."""
    with sessions() as session:
        suggester, _, lock = SUGGESTERS.get(session)
        with lock:
            suggester.suggest("warm-up", "en", [], 1)


SUGGESTERS = _SuggesterCache()


def catalogue_version(session: Session) -> tuple[Any, ...]:
    """What identifies a suggester: database, similarity, item count, newest change."""
    bind = session.get_bind()
    where = bind.url.render_as_string(hide_password=True)
    count, newest = session.execute(
        select(func.count(CounterRecord.id), func.max(CounterRecord.updated_at))
    ).one()
    how = similarity_setting()
    if not count:
        return (where, how, SOURCE_STARTER)
    return (where, how, SOURCE_DATABASE, int(count), newest.isoformat() if newest else None)


@dataclass(slots=True)
class PostInfo(Post):
    """The post suggestions are made for (text, language, narratives) and its stored item."""

    item_id: int | None = None


def post_for_item(
    session: Session, item_id: int, get_detector: Callable[[], Any] | None = None
) -> PostInfo:
    """A stored post: the reviewer's themes if it was reviewed, else the model's; its language.

    A post not scored yet is classified with ``get_detector()`` (when given) to know them.
    """
    item = session.get(Item, item_id)
    if item is None:
        raise CounterError(f"no item {item_id}", 404)
    text = item.text or ""
    if item.review_state is not None and item.reviewed_themes is not None:
        themes = list(item.reviewed_themes)
    else:
        themes = list(item.themes or [])
    lang = item.lang
    # Unscored posts, and posts below the flag threshold (no themes reported), still have a
    # narrative worth answering: ask the detector for it.
    unreviewed_without_themes = not themes and item.review_state is None
    weights = None
    if (lang is None or unreviewed_without_themes) and text and get_detector is not None:
        found = get_detector().narratives([text])[0]
        if not themes:
            themes, weights = found.themes, found.weights
        lang = lang or found.lang
    return PostInfo(text, lang or "und", themes, weights, item_id=item.id)


def post_for_text(
    text: str,
    lang: str | None,
    themes: Sequence[str] | None,
    get_detector: Callable[[], Any] | None = None,
) -> PostInfo:
    """A post given as text; the detector tells what the caller did not."""
    weights = None
    if (lang is None or themes is None) and get_detector is not None:
        found = get_detector().narratives([text])[0]
        lang = found.lang if lang is None else lang
        if themes is None:
            themes, weights = found.themes, found.weights
    return PostInfo(text, lang or "und", list(themes or []), weights=weights)


def suggest_for(session: Session, post: PostInfo, k: int = 5) -> tuple[list[Any], str]:
    """The top ``k`` approved catalogue items for a post, and the catalogue's source."""
    suggester, catalogue, lock = SUGGESTERS.get(session)
    with lock:
        found = suggester.suggest_many([post], k)[0]
    return found, catalogue.source


# -- engagement --------------------------------------------------------------------------------
def record_event(
    session: Session,
    *,
    counter_item_id: str,
    event: str,
    actor: str,
    item_id: int | None = None,
    theme: str | None = None,
    lang: str | None = None,
) -> CounterEvent:
    """Record one use of a catalogue item.

    ``theme`` defaults to the first narrative the item answers among the post's themes;
    ``lang`` (the audience's language) to the post's language, else the item's only language.
    """
    from nazar.types import THEMES

    if event not in COUNTER_EVENTS:
        raise CounterError(f"event must be one of {', '.join(COUNTER_EVENTS)}, got {event!r}")
    if theme is not None and theme not in THEMES:
        raise CounterError(f"unknown theme {theme!r} (expected one of: {', '.join(THEMES)})")
    entry = active_catalogue(session).get(counter_item_id)
    if entry is None:
        raise CounterError(f"no catalogue item {counter_item_id!r}", 404)
    if item_id is not None:
        post = post_for_item(session, item_id)
        if theme is None:
            theme = next((t for t in post.themes if t in entry.item.themes), None)
        if lang is None and post.lang != "und":
            lang = post.lang
    if lang is None and len(entry.item.langs) == 1:
        lang = entry.item.langs[0]
    row = CounterEvent(
        counter_item_id=counter_item_id,
        item_id=item_id,
        event=event,
        theme=theme,
        lang=lang,
        actor=actor[:200],
    )
    session.add(row)
    session.commit()
    return row


def _since(days: int | None) -> datetime | None:
    return utcnow() - timedelta(days=days) if days else None


def usage(session: Session, days: int | None = None) -> dict[str, Any]:
    """Shown/clicked/sent counts per (theme, language), per theme and per catalogue item."""
    since = _since(days)
    conditions = [CounterEvent.created_at >= since] if since is not None else []
    counts = [
        func.sum(case((CounterEvent.event == name, 1), else_=0)).label(name)
        for name in COUNTER_EVENTS
    ]

    def grouped(*columns: Any) -> list[dict[str, Any]]:
        q = select(*columns, *counts).where(*conditions).group_by(*columns)
        out = []
        for row in session.execute(q):
            values = row._mapping
            entry = {c.key: values[c.key] for c in columns}
            entry.update({name: int(values[name] or 0) for name in COUNTER_EVENTS})
            out.append(entry)
        out.sort(key=lambda e: (-sum(e[n] for n in COUNTER_EVENTS), *(str(v) for v in e.values())))
        return out

    by_theme_lang = grouped(CounterEvent.theme, CounterEvent.lang)
    totals = {name: sum(e[name] for e in by_theme_lang) for name in COUNTER_EVENTS}
    return {
        "since": since,
        "totals": totals,
        "rows": by_theme_lang,
        "by_theme": grouped(CounterEvent.theme),
        "by_item": grouped(CounterEvent.counter_item_id),
    }


# -- gap report --------------------------------------------------------------------------------
def _seen_posts(session: Session, since: datetime | None) -> Iterable[Any]:
    """(lang, themes) of posts judged violent extremist: the reviewer's word, else the model's
    flag (a post a reviewer rejected does not count, one a reviewer confirmed does)."""
    reviewed = Item.review_state.is_not(None)
    judged = or_(
        and_(reviewed, Item.reviewed_label == POSITIVE_LABEL),
        and_(~reviewed, Item.flagged.is_(True)),
    )
    conditions = [Item.state == "scored", judged]
    if since is not None:
        conditions.append(Item.received_at >= since)
    q = (
        select(Item.lang, Item.themes, Item.reviewed_themes, Item.review_state, Item.received_at)
        .where(*conditions)
        .execution_options(yield_per=2000)
    )
    return session.execute(q)


def gaps(session: Session, days: int | None = None) -> dict[str, Any]:
    """Narratives seen in flagged posts, by language, and the approved material answering them.

    For each (theme, language) seen: how many posts, when last, how many approved items answer
    the theme in that language and in any language its reader likely reads
    (``suggest.reader_languages``). ``gaps`` lists the pairs with no item in the language
    (``no_item_reader_can_read`` tells whether a reader has nothing at all).
    """
    from nazar.counter.suggest import reader_languages

    since = _since(days)
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    posts = 0
    for lang, themes, reviewed_themes, review_state, received_at in _seen_posts(session, since):
        posts += 1
        lang = lang or "und"
        used = (
            reviewed_themes if review_state is not None and reviewed_themes is not None else themes
        )
        for theme in dict.fromkeys(used or []):
            slot = seen.setdefault((theme, lang), {"posts": 0, "last_seen": None})
            slot["posts"] += 1
            if received_at is not None and (
                slot["last_seen"] is None or received_at > slot["last_seen"]
            ):
                slot["last_seen"] = received_at
    catalogue = active_catalogue(session)
    approved = [i for i in catalogue.items if i.review_status == "approved"]
    rows = []
    for (theme, lang), slot in seen.items():
        answering = [i for i in approved if theme in i.themes]
        readable = reader_languages(lang)
        in_lang = [i.item_id for i in answering if lang in i.langs]
        for_reader = [i.item_id for i in answering if any(x in readable for x in i.langs)]
        rows.append(
            {
                "theme": theme,
                "lang": lang,
                "posts": slot["posts"],
                "last_seen": slot["last_seen"],
                "items_in_language": len(in_lang),
                "items_reader_can_read": len(for_reader),
                "reader_languages": list(readable),
                "item_languages": sorted({x for i in answering for x in i.langs}),
                "no_item_in_language": not in_lang,
                "no_item_reader_can_read": not for_reader,
            }
        )
    rows.sort(key=lambda r: (-r["posts"], r["theme"], r["lang"]))
    return {
        "source": catalogue.source,
        "since": since,
        "posts": posts,
        "narratives": rows,
        "gaps": [r for r in rows if r["no_item_in_language"]],
    }
