"""Source readers: turn files, Telegram exports and RSS/Atom feeds into plain ``IncomingItem``s.

The monitoring service stores what these yield, keyed by (source name, ``external_id``), so
ids must be stable: reading the same file or feed twice gives the same ids, and storage can
ignore what it already has. A record that cannot be used is never dropped: it comes out with
``error`` set so that the service can count and show it. Only when a whole source cannot be
read (missing file, HTTP 404, not a feed at all) does a reader raise ``SourceError``.

Nothing here logs record text, authors or other personal data: logs name the source, the
place in it and what went wrong.
"""

from __future__ import annotations

import calendar
import email.utils
import hashlib
import io
import logging
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections import OrderedDict
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from nazar import __version__
from nazar.monitor.sources_json import JsonStream, JsonStreamError
from nazar.records import MAX_TEXT_CHARS, InputError, ReadOptions, RecordReader

logger = logging.getLogger(__name__)

__all__ = [
    "FeedPoller",
    "FeedResult",
    "FeedSource",
    "IncomingItem",
    "ReadSummary",
    "SourceError",
    "SourceIterator",
    "display_url",
    "fetch_feed",
    "html_to_text",
    "parse_timestamp",
    "read_file",
    "read_telegram_export",
]

DATE_FIELDS = ("published_at", "date", "created_at")
URL_FIELDS = ("url", "link")
AUTHOR_FIELDS = ("author", "user", "username")
# A feed bigger than this is not a feed we want to hold in memory (or a hostile server).
MAX_FEED_BYTES = 10 * 1024 * 1024
USER_AGENT = f"nazar-monitor/{__version__} (+feed reader)"

_SURROGATE = re.compile("[\ud800-\udfff]")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


class SourceError(Exception):
    """A whole source cannot be read (the message says which and why); per-record problems
    are reported on the items instead."""


@dataclass(slots=True)
class IncomingItem:
    """One record from a source, before normalisation and scoring."""

    external_id: str  # stable id inside its source (idempotency key with the source name)
    text: str | None
    published_at: datetime | None  # timezone-aware UTC
    url: str | None = None
    author: str | None = None  # as given by the source; the service may hash it
    metadata: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # set when the record is unusable: never dropped, reported


@dataclass(slots=True)
class ReadSummary:
    """What a reader saw besides the items it yielded (filled in while iterating)."""

    items: int = 0
    errors: int = 0
    warnings: int = 0
    # Records deliberately not emitted, by reason (e.g. Telegram service messages).
    skipped: dict[str, int] = field(default_factory=dict)
    containers: int = 0  # chats in a Telegram export; 0 for other sources

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


class SourceIterator(Iterator[IncomingItem]):
    """An iterator of items that also keeps a ``summary``, complete once it is exhausted.

    Readers return this rather than a bare generator so that callers can report what was
    skipped (service messages, blank lines) without a second pass over a large file.
    """

    def __init__(self, items: Iterator[IncomingItem], summary: ReadSummary) -> None:
        self._items = items
        self.summary = summary

    def __iter__(self) -> SourceIterator:
        return self

    def __next__(self) -> IncomingItem:
        item = next(self._items)
        self.summary.items += 1
        if item.error:
            self.summary.errors += 1
        self.summary.warnings += len(item.metadata.get("warnings", ()))
        return item


# -- shared helpers -----------------------------------------------------------------------


def stable_hash(*parts: str) -> str:
    """A short, stable id from parts (sha256, 20 hex digits): same input, same id, any run."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return digest[:20]


def parse_timestamp(value: Any) -> tuple[datetime | None, str | None]:
    """Parse ISO 8601, RFC 2822 or unix seconds into aware UTC; returns (datetime, warning).

    Never raises: a bad date must not cost the record, so it becomes ``None`` with a warning
    the service can show. Naive times are taken as UTC, and the warning says so.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, bool):
        return None, f"bad date {value!r}: not a time"
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "..."
    seconds: float | None = None
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        seconds = float(value.strip())
    elif not isinstance(value, str):
        return None, f"bad date {shown}: a {type(value).__name__}, not a time"
    if seconds is not None:
        try:
            return datetime.fromtimestamp(seconds, tz=UTC), None
        except (OverflowError, OSError, ValueError):
            return None, f"bad date {shown}: unix seconds out of range"
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None, f"bad date {shown}: not ISO 8601, RFC 2822 or unix seconds"
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC), f"date {shown} has no time zone; taken as UTC"
    return parsed.astimezone(UTC), None


def _clean_text(text: str, warnings: list[str]) -> str:
    """Replace unpaired surrogates and truncate overlong text, noting both."""
    if _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)
        warnings.append("unpaired surrogate code points replaced with U+FFFD")
    if len(text) > MAX_TEXT_CHARS:
        warnings.append(f"text of {len(text):,} characters truncated to {MAX_TEXT_CHARS:,}")
        text = text[:MAX_TEXT_CHARS]
    return text


def _metadata(base: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    meta = {k: v for k, v in base.items() if v not in (None, "", [], {})}
    if warnings:
        meta["warnings"] = warnings
    return meta


# -- files (JSONL / CSV / TXT) ------------------------------------------------------------


def read_file(
    path: str | Path, text_field: str | None = None, id_field: str | None = None
) -> SourceIterator:
    """Read a JSONL, CSV/TSV or text file, one item per record, via ``RecordReader``.

    ``external_id`` is the id field when the record has one, else a stable hash of the file
    name and line number (so re-reading the same file gives the same ids). Dates come from
    ``published_at``/``date``/``created_at``. Fails at once with ``SourceError`` when the
    file cannot be opened; problems inside it become item errors or warnings.
    """
    p = Path(path)
    if not p.is_file():
        raise SourceError(f"{p}: no such file" if not p.exists() else f"{p}: not a file")
    try:
        with open(p, "rb"):
            pass
    except OSError as exc:
        raise SourceError(f"cannot open {p}: {exc.strerror}") from exc
    summary = ReadSummary()
    reader = RecordReader(
        ReadOptions(text_field=text_field, id_field=id_field),
        # Per-record messages are on the items already; keep them out of the service log.
        warn=lambda msg: logger.debug("%s", msg),
    )
    return SourceIterator(_file_items(p, reader, summary), summary)


def _file_items(path: Path, reader: RecordReader, summary: ReadSummary) -> Iterator[IncomingItem]:
    fallback_id = re.compile(re.escape(path.name) + r":(\d+)")
    try:
        for item in reader.read([str(path)]):
            fields = dict(item.input)
            warnings = list(item.warnings)
            ref = None
            if fallback_id.fullmatch(item.id):
                # RecordReader's own id is "name:line": no id field in this record.
                ref = item.id
                external_id = stable_hash(item.id)
            else:
                external_id = item.id
            published_at = None
            for key in DATE_FIELDS:
                if key in fields:
                    published_at, warning = parse_timestamp(fields.pop(key))
                    if warning:
                        warnings.append(f"{key}: {warning}")
                    break
            url = _pop_str(fields, URL_FIELDS)
            author = _pop_str(fields, AUTHOR_FIELDS)
            yield IncomingItem(
                external_id=external_id,
                text=item.text,
                published_at=published_at,
                url=url,
                author=author,
                metadata=_metadata({"fields": fields, "ref": ref}, warnings),
                error=item.error,
            )
    except InputError as exc:
        raise SourceError(str(exc)) from exc
    finally:
        if reader.report.blank_lines:
            summary.skipped["blank lines"] = reader.report.blank_lines


def _pop_str(fields: dict[str, Any], keys: Sequence[str]) -> str | None:
    for key in keys:
        value = fields.get(key)
        if value in (None, ""):
            fields.pop(key, None)  # an empty CSV cell says nothing
        elif isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            del fields[key]
            return str(value).strip()
    return None


# -- Telegram Desktop export (result.json) ------------------------------------------------

_MEDIA_KEYS = ("photo", "file", "sticker_emoji", "location_information", "contact_information")


def read_telegram_export(path: str | Path) -> SourceIterator:
    """Read a Telegram Desktop JSON export: one chat, or a full export with many chats.

    Streams the file message by message (exports of big channels run to gigabytes). Service
    messages (joins, pins, ...) are counted in ``summary.skipped`` and not emitted; a message
    with media but no text comes out with ``error="no text (media only)"``.
    ``external_id`` is ``"{chat_id}:{message_id}"``.
    """
    p = Path(path)
    try:
        stream = open(p, encoding="utf-8-sig", errors="replace")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise SourceError(f"cannot open {p}: {exc.strerror}") from exc
    summary = ReadSummary()
    return SourceIterator(_telegram_items(p, stream, summary), summary)


def _telegram_items(path: Path, stream: Any, summary: ReadSummary) -> Iterator[IncomingItem]:
    try:
        js = JsonStream(stream)
        if js.peek() != "{":
            raise SourceError(f"{path}: not a Telegram export (expected a JSON object)")
        recognised = yield from _walk_chat(js, summary, top_level=True)
        if not recognised:
            raise SourceError(
                f"{path}: not a Telegram Desktop export (no 'messages' or 'chats' in it)"
            )
    except JsonStreamError as exc:
        raise SourceError(
            f"{path}: broken JSON after {summary.items:,} messages: {exc}; "
            "was the export interrupted?"
        ) from exc
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    finally:
        stream.close()


def _walk_chat(
    js: JsonStream, summary: ReadSummary, top_level: bool
) -> Generator[IncomingItem, None, bool]:
    """Walk a chat object (or the export's top level, which is a chat in one-chat exports).

    Returns whether it held messages or (at the top level) a chat list.
    """
    chat: dict[str, Any] = {}
    held: list[Any] | None = None  # messages seen before the chat id (unusual key order)
    saw_messages = saw_chats = False
    for key in js.object_keys():
        if key == "messages" and js.peek() == "[":
            saw_messages = True
            if "id" in chat:
                for index in js.array_items():
                    yield from _message_item(js.value(), chat, index, summary)
            else:
                held = js.value()
        elif top_level and key in ("chats", "left_chats") and js.peek() == "{":
            saw_chats = True
            for sub in js.object_keys():
                if sub == "list" and js.peek() == "[":
                    for _ in js.array_items():
                        if js.peek() == "{":
                            yield from _walk_chat(js, summary, top_level=False)
                        else:
                            js.value()  # not a chat: nothing to read in it
                else:
                    js.value()
        elif key in ("name", "type", "id"):
            chat[key] = js.value()
        else:
            js.value()
    if saw_messages:
        summary.containers += 1
    for index, message in enumerate(held or ()):
        yield from _message_item(message, chat, index, summary)
    return saw_messages or saw_chats


def _chat_id(chat: dict[str, Any]) -> str:
    if chat.get("id") not in (None, ""):
        return str(chat["id"])
    return "chat-" + stable_hash(str(chat.get("name") or ""))


def _join_text(value: Any) -> str | None:
    """Telegram text: a string, or a list of strings and entity dicts with a "text" key."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = []
        for part in value:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "".join(parts)
    return None


def _message_item(
    message: Any, chat: dict[str, Any], index: int, summary: ReadSummary
) -> Iterator[IncomingItem]:
    chat_id = _chat_id(chat)
    chat_meta = {"chat_name": chat.get("name"), "chat_type": chat.get("type"), "chat_id": chat_id}
    if not isinstance(message, dict):
        yield IncomingItem(
            external_id=f"{chat_id}:#{index}",
            text=None,
            published_at=None,
            metadata=_metadata(chat_meta, []),
            error=f"message #{index} is a JSON {type(message).__name__}, not an object",
        )
        return
    if message.get("type") == "service":
        summary.skip("service messages")
        return
    warnings: list[str] = []
    msg_id = message.get("id")
    if msg_id in (None, "") or isinstance(msg_id, bool | dict | list):
        external_id = f"{chat_id}:#{index}"
        error: str | None = f"message #{index} has no id"
    else:
        external_id = f"{chat_id}:{msg_id}"
        error = None
    # date_unixtime is exact; "date" is the exporting computer's local time, no zone.
    published_at, warning = parse_timestamp(message.get("date_unixtime"))
    if published_at is None and message.get("date"):
        published_at, warning = parse_timestamp(message.get("date"))
    if warning:
        warnings.append(f"date: {warning}")
    text = _join_text(message.get("text"))
    if not text and isinstance(message.get("text_entities"), list):
        text = _join_text(message["text_entities"])
    media_type = message.get("media_type")
    if not media_type:
        media_type = next((k for k in _MEDIA_KEYS if message.get(k)), None)
    if text is not None and text.strip():
        text = _clean_text(text, warnings)
    else:
        text = None
        if error is None:
            error = "no text (media only)" if media_type else "no text"
    author = message.get("from_id") or message.get("from")
    meta = {
        **chat_meta,
        "message_id": msg_id,
        "media_type": media_type,
        "forwarded_from": message.get("forwarded_from"),
        "reply_to_message_id": message.get("reply_to_message_id"),
        "edited": message.get("edited"),
    }
    yield IncomingItem(
        external_id=external_id,
        text=text,
        published_at=published_at,
        author=str(author) if author not in (None, "") else None,
        metadata=_metadata(meta, warnings),
        error=error,
    )


# -- RSS / Atom ---------------------------------------------------------------------------


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment: block elements become line breaks."""

    BLOCK = frozenset(
        """address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3
        h4 h5 h6 header hr li main nav ol p pre section table td th tr ul""".split()  # noqa: SIM905
    )
    SKIP = frozenset(("script", "style", "template", "noscript", "head", "title"))

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (entities decoded, tags dropped, blocks on new lines).

    Uses the stdlib HTML parser rather than regexes, which get comments, CDATA, attributes
    holding ">" and unclosed tags wrong.
    """
    parser = _TextExtractor()
    parser.feed(fragment)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


@dataclass(slots=True)
class FeedResult:
    """One fetch of a feed: items, the validators for the next conditional request, status.

    ``status`` is the HTTP status (304: not modified, no items), ``None`` for a local file.
    ``error`` holds the parser's complaint for a malformed ("bozo") feed whose entries
    were kept anyway.
    """

    items: list[IncomingItem]
    etag: str | None
    modified: str | None
    status: int | None
    error: str | None = None


def fetch_feed(
    url_or_path: str | Path,
    timeout: float = 10.0,
    etag: str | None = None,
    modified: str | None = None,
    max_bytes: int = MAX_FEED_BYTES,
) -> FeedResult:
    """Fetch and parse an RSS/Atom feed from an http(s) URL or a local file.

    We fetch the bytes ourselves (timeout, size limit, conditional GET with ``etag`` and
    ``modified``) and hand only bytes to feedparser, which would otherwise do its own
    unbounded network access. Raises ``SourceError`` when nothing usable comes back.
    """
    source = str(url_or_path)
    scheme = urllib.parse.urlsplit(source).scheme.lower()
    if scheme in ("http", "https"):
        status, body, headers = _http_get(source, timeout, etag, modified, max_bytes)
        if status == 304 or body is None:
            return FeedResult(
                [], headers.get("etag") or etag, headers.get("last-modified") or modified, 304
            )
        new_etag, new_modified = headers.get("etag"), headers.get("last-modified")
    elif scheme == "file" or len(scheme) <= 1:  # no scheme, or a Windows drive letter
        path = Path(urllib.request.url2pathname(urllib.parse.urlsplit(source).path))
        if scheme != "file":
            path = Path(source)
        body = _read_local(path, max_bytes)
        status, headers, new_etag, new_modified = None, {}, None, None
    else:
        raise SourceError(
            f"{display_url(source)}: unsupported URL scheme {scheme!r} (use http, https or a path)"
        )
    return _parse_feed(source, body, headers, status, new_etag, new_modified)


def display_url(url: str) -> str:
    """The URL without credentials, query or fragment, for messages and logs.

    Feed URLs sometimes carry API keys or user names there; logs must not.
    """
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    tail = "?..." if parts.query else ""
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", "")) + tail


def _read_local(path: Path, max_bytes: int) -> bytes:
    try:
        with open(path, "rb") as f:
            body = f.read(max_bytes + 1)
    except OSError as exc:
        raise SourceError(f"cannot open {path}: {exc.strerror}") from exc
    if len(body) > max_bytes:
        raise SourceError(f"{path}: larger than {max_bytes:,} bytes; not read")
    return body


def _http_get(
    url: str, timeout: float, etag: str | None, modified: str | None, max_bytes: int
) -> tuple[int, bytes | None, dict[str, str]]:
    """GET with a total deadline and a size limit; returns (status, body, lower-case headers)."""
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5",
        "Accept-Encoding": "gzip, deflate",
    }
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    request = urllib.request.Request(url, headers=headers)
    shown = display_url(url)
    deadline = time.monotonic() + timeout
    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # scheme checked by the caller
    except urllib.error.HTTPError as exc:
        got = {k.lower(): v for k, v in (exc.headers or {}).items()}
        exc.close()
        if exc.code == 304:
            return 304, None, got
        raise SourceError(f"{shown}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise SourceError(f"{shown}: cannot fetch: {exc.reason}") from None
    except (TimeoutError, OSError) as exc:
        raise SourceError(f"{shown}: cannot fetch: {exc.__class__.__name__} {exc}") from None
    with response:
        got = {k.lower(): v for k, v in response.headers.items()}
        length = got.get("content-length", "")
        if length.isdigit() and int(length) > max_bytes:
            raise SourceError(f"{shown}: feed of {int(length):,} bytes exceeds {max_bytes:,}")
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                if time.monotonic() > deadline:
                    raise SourceError(f"{shown}: timed out after {timeout:g} s")
                chunk = response.read(64 * 1024)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise SourceError(f"{shown}: feed exceeds {max_bytes:,} bytes; not read")
                chunks.append(chunk)
        except (TimeoutError, OSError) as exc:
            raise SourceError(f"{shown}: read failed: {exc.__class__.__name__} {exc}") from None
        body = b"".join(chunks)
        status = response.status
    encoding = got.get("content-encoding", "").lower()
    if encoding in ("gzip", "x-gzip", "deflate"):
        body = _decompress(url, body, encoding, max_bytes)
    return status, body, got


def _decompress(url: str, body: bytes, encoding: str, max_bytes: int) -> bytes:
    """Decompress with the same size limit (a small gzip can expand enormously)."""
    shown = display_url(url)
    wbits = 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS
    try:
        decoder = zlib.decompressobj(wbits)
        out = decoder.decompress(body, max_bytes + 1)
    except zlib.error:
        try:  # some servers send raw deflate, or say gzip and send plain bytes
            out = zlib.decompressobj(-zlib.MAX_WBITS).decompress(body, max_bytes + 1)
        except zlib.error as exc:
            if body[:2] == b"\x1f\x8b":
                raise SourceError(f"{shown}: broken {encoding} body: {exc}") from None
            return body
    if len(out) > max_bytes:
        raise SourceError(f"{shown}: feed exceeds {max_bytes:,} bytes once decompressed")
    return out


def _parse_feed(
    source: str,
    body: bytes,
    headers: dict[str, str],
    status: int | None,
    etag: str | None,
    modified: str | None,
) -> FeedResult:
    import feedparser  # deferred: ~0.1 s to import, and only feed users need it

    if "://" in source:
        source = display_url(source)
    response_headers = (
        {"content-type": headers["content-type"]} if "content-type" in headers else {}
    )
    # A stream, never bytes or str: feedparser opens a bytes/str argument as a file name or
    # URL if it can, so a body such as b"/etc/passwd" would be read from the local disk.
    parsed = feedparser.parse(io.BytesIO(body), response_headers=response_headers)
    error = None
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        error = f"{exc.__class__.__name__}: {exc}" if exc else "malformed feed"
        if not parsed.entries and not parsed.get("version"):
            raise SourceError(f"{source}: not an RSS or Atom feed ({error})")
    feed_title = html_to_text(parsed.feed.get("title", "") or "") or None
    items = [_entry_item(entry, index, feed_title) for index, entry in enumerate(parsed.entries)]
    return FeedResult(items, etag, modified, status, error)


def _detail_text(entry: Any, key: str) -> str:
    value = entry.get(key) or ""
    if not isinstance(value, str):
        return ""
    detail = entry.get(f"{key}_detail") or {}
    if detail.get("type") == "text/plain":
        return " ".join(value.split())
    return html_to_text(value)


def _struct_to_utc(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _entry_item(entry: Any, index: int, feed_title: str | None) -> IncomingItem:
    """One feed entry as an item; a broken entry becomes an error item, not an exception."""
    warnings: list[str] = []
    try:
        title = _detail_text(entry, "title")
        summary = _detail_text(entry, "summary")
        if not summary:
            for content in entry.get("content") or ():
                summary = html_to_text(content.get("value") or "")
                if summary:
                    break
        # dict.get: feedparser's own get() maps a missing "updated" to "published", with a
        # DeprecationWarning each time.
        published = entry.get("published_parsed") or dict.get(entry, "updated_parsed")
        published_at = _struct_to_utc(published) if published else None
        raw_date = entry.get("published") or dict.get(entry, "updated")
        if published_at is None and raw_date:
            warnings.append(f"date {str(raw_date)[:40]!r} not understood")
        link = entry.get("link") or None
        entry_id = entry.get("id") or link
        if not entry_id:
            entry_id = "h-" + stable_hash(entry.get("title") or "", raw_date or "")
        parts = [title] if title else []
        if summary and summary != title:
            parts.append(summary)
        text = _clean_text("\n\n".join(parts), warnings) if parts else None
        tags = [t.get("term") for t in entry.get("tags") or () if t.get("term")]
        return IncomingItem(
            external_id=str(entry_id),
            text=text,
            published_at=published_at,
            url=link,
            author=entry.get("author") or None,
            metadata=_metadata({"feed_title": feed_title, "tags": tags}, warnings),
            error=None if text else "entry has no title or summary",
        )
    except Exception as exc:  # one odd entry must not lose the rest of the feed
        return IncomingItem(
            external_id=f"entry-{index}",
            text=None,
            published_at=None,
            metadata=_metadata({"feed_title": feed_title}, warnings),
            error=f"cannot read entry #{index}: {exc.__class__.__name__}",
        )


# -- the poller ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedSource:
    """A configured feed: its source name (part of the idempotency key), URL and period."""

    name: str
    url: str
    interval: float = 300.0


@dataclass(slots=True)
class _FeedState:
    next_due: float = 0.0
    etag: str | None = None
    modified: str | None = None
    seen: OrderedDict[str, None] = field(default_factory=OrderedDict)
    failures: int = 0


OnItems = Callable[[str, list[IncomingItem]], None]


class FeedPoller:
    """Polls feeds in a background thread and hands *new* items to ``on_items``.

    Each feed is fetched every ``interval`` seconds with the last ETag/Last-Modified, so an
    unchanged feed costs the server a 304. Items already delivered (by external id) are not
    delivered again, as servers without validators resend the whole feed. Validators and
    seen ids are updated only after ``on_items`` returns, so a failing callback gets the
    same items again next time instead of losing them. Errors are logged without record
    text or authors, and retried at the next tick.
    """

    def __init__(
        self,
        sources: Iterable[FeedSource],
        on_items: OnItems,
        *,
        timeout: float = 10.0,
        max_seen: int = 10_000,
        fetch: Callable[..., FeedResult] = fetch_feed,
    ) -> None:
        self.sources = list(sources)
        names = [s.name for s in self.sources]
        if len(set(names)) != len(names):
            raise ValueError("feed source names must be unique")
        for s in self.sources:
            if s.interval <= 0:
                raise ValueError(f"feed {s.name!r}: interval must be positive")
        self._on_items = on_items
        self._timeout = timeout
        self._max_seen = max_seen
        self._fetch = fetch
        self._state = {s.name: _FeedState() for s in self.sources}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # poll_once() and the thread never poll at once

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> FeedPoller:
        """Start polling (first fetch of every feed at once); returns self."""
        if self._thread is not None and self._thread.is_alive():
            raise RuntimeError("poller already running")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="nazar-feed-poller", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> bool:
        """Ask the thread to end and wait for it; False if it is still in a fetch at timeout.

        The wait between ticks ends at once; a fetch under way finishes first (bounded by
        the fetch timeout).
        """
        self._stop.set()
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> FeedPoller:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- polling --------------------------------------------------------------------------
    def poll_once(self, names: Iterable[str] | None = None) -> int:
        """Poll the named feeds (default all) now; returns how many new items were handed on."""
        wanted = set(names) if names is not None else None
        delivered = 0
        for source in self.sources:
            if wanted is None or source.name in wanted:
                delivered += self._poll(source)
        return delivered

    def _run(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            for source in self.sources:
                if self._stop.is_set():
                    return
                state = self._state[source.name]
                if state.next_due <= now:
                    state.next_due = now + source.interval
                    try:
                        self._poll(source)
                    except Exception as exc:  # a bug here must not end polling for good
                        logger.error("feed %s: poll failed: %s", source.name, type(exc).__name__)
            if not self.sources:
                self._stop.wait(1.0)
                continue
            wake = min(self._state[s.name].next_due for s in self.sources)
            self._stop.wait(max(0.0, wake - time.monotonic()))

    def _poll(self, source: FeedSource) -> int:
        with self._lock:
            return self._poll_locked(source)

    def _poll_locked(self, source: FeedSource) -> int:
        state = self._state[source.name]
        try:
            result = self._fetch(
                source.url, timeout=self._timeout, etag=state.etag, modified=state.modified
            )
        except SourceError as exc:
            state.failures += 1
            logger.warning("feed %s: %s (failure %d)", source.name, exc, state.failures)
            return 0
        except Exception as exc:  # never let one feed kill the thread
            state.failures += 1
            logger.warning(
                "feed %s: fetch failed: %s (failure %d)",
                source.name,
                exc.__class__.__name__,
                state.failures,
            )
            return 0
        if result.error:
            logger.info("feed %s: malformed feed, kept what parsed", source.name)
        fresh: list[IncomingItem] = []
        batch_ids: set[str] = set()
        for item in result.items:
            if item.external_id not in state.seen and item.external_id not in batch_ids:
                batch_ids.add(item.external_id)
                fresh.append(item)
        if fresh:
            try:
                self._on_items(source.name, fresh)
            except Exception as exc:
                state.failures += 1
                logger.error(
                    "feed %s: on_items failed with %s; %d items will be retried",
                    source.name,
                    exc.__class__.__name__,
                    len(fresh),
                )
                return 0
        state.failures = 0
        state.etag, state.modified = result.etag, result.modified
        for item in fresh:
            state.seen[item.external_id] = None
        while len(state.seen) > self._max_seen:
            state.seen.popitem(last=False)
        if fresh:
            logger.info("feed %s: %d new items", source.name, len(fresh))
        return len(fresh)
