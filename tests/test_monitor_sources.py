"""Source readers of the monitoring service, on real files and a real local HTTP server."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from nazar.monitor.sources import (
    FeedPoller,
    FeedSource,
    IncomingItem,
    SourceError,
    fetch_feed,
    html_to_text,
    parse_timestamp,
    read_file,
    read_telegram_export,
)
from nazar.monitor.sources_json import JsonStream, JsonStreamError

FIXTURES = Path(__file__).parent / "fixtures" / "monitor"


# -- a real HTTP server on 127.0.0.1 ------------------------------------------------------


@dataclass
class Route:
    body: bytes
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    status: int = 200
    delay: float = 0.0
    gzip: bool = False


@dataclass
class FeedServer:
    base: str
    routes: dict[str, Route]
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> list[dict[str, str]]:
        return [headers for p, headers in list(self.requests) if p == path]


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedServer]:
    for var in ("http_proxy", "https_proxy", "all_proxy"):  # 127.0.0.1 directly, always
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.upper(), raising=False)
    routes: dict[str, Route] = {}
    requests: list[tuple[str, dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            route = routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            if route.delay:
                time.sleep(route.delay)
            if route.etag and self.headers.get("If-None-Match") == route.etag:
                self.send_response(304)
                self.send_header("ETag", route.etag)
                self.end_headers()
                return
            if (
                not route.etag
                and route.last_modified
                and self.headers.get("If-Modified-Since") == route.last_modified
            ):
                self.send_response(304)
                self.end_headers()
                return
            body = gzip.compress(route.body) if route.gzip else route.body
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(body)))
            if route.gzip:
                self.send_header("Content-Encoding", "gzip")
            if route.etag:
                self.send_header("ETag", route.etag)
            if route.last_modified:
                self.send_header("Last-Modified", route.last_modified)
            self.end_headers()
            with contextlib.suppress(OSError):  # the client gave up (timeout tests)
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.block_on_close = False
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield FeedServer(f"http://127.0.0.1:{httpd.server_address[1]}", routes, requests)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def rss(*items: tuple[str, str]) -> bytes:
    """A small RSS 2.0 document with (guid, title) items."""
    body = "".join(
        f"<item><guid isPermaLink='false'>{g}</guid><title>{t}</title>"
        f"<description>&lt;p&gt;{t} body&lt;/p&gt;</description></item>"
        for g, t in items
    )
    return (
        f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>T</title>"
        f"{body}</channel></rss>"
    ).encode()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- files ----------------------------------------------------------------------------


def test_read_file_jsonl_ids_dates_and_bad_records() -> None:
    it = read_file(FIXTURES / "items.jsonl")
    items = list(it)
    assert len(items) == 5  # the blank line is skipped, the broken line kept as an error
    a1, no_id, bad_date, broken, naive = items
    assert a1.external_id == "a1" and a1.text == "Первая запись"
    assert a1.published_at == utc(2024, 1, 2, 3, 4, 5)
    assert a1.url == "http://127.0.0.1/a1" and a1.author == "user_a"
    assert a1.metadata == {"fields": {"lang": "ru"}}
    # No id field: a stable hash of file name and line, the line kept for people to read.
    assert no_id.metadata["ref"] == "items.jsonl:2"
    assert len(no_id.external_id) == 20 and no_id.external_id != "items.jsonl:2"
    assert no_id.published_at == utc(2024, 1, 2, 3, 4, 5)  # unix seconds
    assert bad_date.published_at is None and bad_date.error is None
    assert "created_at" in bad_date.metadata["warnings"][0]
    assert broken.text is None and "invalid JSON" in broken.error
    assert broken.metadata["ref"] == "items.jsonl:5"
    assert naive.text == "Naive date" and naive.published_at.tzinfo is UTC
    assert "no time zone" in naive.metadata["warnings"][0]
    assert it.summary.items == 5 and it.summary.errors == 1
    assert it.summary.skipped == {"blank lines": 1}


def test_read_file_csv_with_named_fields() -> None:
    items = list(read_file(FIXTURES / "items.csv", text_field="body", id_field="post_id"))
    p1, no_id, empty, wide = items
    assert p1.external_id == "p1"
    assert p1.text == "Бүгін Астанада, жаңа мектеп" and p1.author == "u1"
    assert p1.published_at == utc(2024, 1, 1, 21, 4, 5)  # +06:00 converted to UTC
    assert no_id.metadata["ref"] == "items.csv:3" and no_id.author is None
    assert no_id.published_at == utc(2024, 1, 2, 3, 4, 5)  # "1704164645" in a CSV cell
    assert empty.external_id == "p3" and empty.error == "text is empty"
    assert "fields" in wide.error and wide.text is None


def test_read_file_ids_are_stable_across_reads_and_folders(tmp_path: Path) -> None:
    copy = tmp_path / "items.jsonl"
    shutil.copy(FIXTURES / "items.jsonl", copy)
    first = [i.external_id for i in read_file(FIXTURES / "items.jsonl")]
    assert first == [i.external_id for i in read_file(FIXTURES / "items.jsonl")]
    assert first == [i.external_id for i in read_file(copy)]
    other = tmp_path / "other.jsonl"
    shutil.copy(FIXTURES / "items.jsonl", other)
    assert [i.external_id for i in read_file(other)][1] != first[1]


def test_read_file_unreadable_source_raises_at_once(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        read_file(tmp_path / "missing.jsonl")
    with pytest.raises(SourceError, match="not a file"):
        read_file(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text('"unterminated,header\n', "utf-8")
    with pytest.raises(SourceError, match="CSV header"):
        list(read_file(bad))


@pytest.mark.parametrize(
    ("value", "expected", "warns"),
    [
        ("2024-01-02T03:04:05Z", utc(2024, 1, 2, 3, 4, 5), False),
        ("2024-01-02T06:04:05+03:00", utc(2024, 1, 2, 3, 4, 5), False),
        ("Tue, 02 Jan 2024 03:04:05 GMT", utc(2024, 1, 2, 3, 4, 5), False),
        (1704164645, utc(2024, 1, 2, 3, 4, 5), False),
        ("1704164645.0", utc(2024, 1, 2, 3, 4, 5), False),
        (None, None, False),
        ("", None, False),
        (True, None, True),
        ([2024], None, True),
        ("soon", None, True),
        (10**20, None, True),  # unix milliseconds in the wrong place, way out of range
    ],
)
def test_parse_timestamp(value: object, expected: datetime | None, warns: bool) -> None:
    parsed, warning = parse_timestamp(value)
    assert parsed == expected
    assert (warning is not None) is warns


# -- Telegram ---------------------------------------------------------------------------


def test_telegram_single_chat_export() -> None:
    it = read_telegram_export(FIXTURES / "telegram_chat.json")
    items = {i.external_id: i for i in it}
    assert list(items) == [f"1234567890:{n}" for n in (2, 3, 4, 5, 7)]  # service 1, 6 skipped
    assert it.summary.skipped == {"service messages": 2}
    assert it.summary.containers == 1 and it.summary.errors == 1

    ru = items["1234567890:2"]
    assert ru.text == "Сегодня в Алматы прошла встреча журналистов."
    assert ru.published_at == utc(2024, 1, 2, 3, 4, 5)
    assert ru.author == "channel1234567890" and ru.error is None
    assert ru.metadata["chat_name"] == "Новости региона"
    assert ru.metadata["chat_type"] == "public_channel"

    kk = items["1234567890:3"]  # a list of strings and entity dicts, joined in order
    assert kk.text == (
        "Бүгін Астанада жаңа мектеп ашылды. Толығырақ: https://example.org/news/1 #жаңалықтар"
    )
    assert kk.metadata["forwarded_from"] == "Қазақ жаңалықтары"

    photo = items["1234567890:4"]
    assert photo.text is None and photo.error == "no text (media only)"
    assert photo.metadata["media_type"] == "photo"

    ar = items["1234567890:5"]
    assert ar.text == "بسم الله الرحمن الرحيم\nصلاة الجمعة في المسجد الكبير اليوم."
    assert ar.metadata["media_type"] == "video_file"
    assert ar.metadata["reply_to_message_id"] == 2

    en = items["1234567890:7"]  # no date_unixtime: the local "date", taken as UTC, with a note
    assert en.published_at == utc(2024, 1, 2, 8, 0, 0)
    assert "no time zone" in en.metadata["warnings"][0]


def test_telegram_full_export_with_many_chats_and_bad_messages() -> None:
    it = read_telegram_export(FIXTURES / "telegram_full.json")
    items = list(it)
    ids = [i.external_id for i in items]
    # Same message id 10 in two chats: the chat id keeps them apart. Left chats are read too.
    assert ids == ["111:10", "111:12", "222:10", "222:#1", "222:#2", "333:1"]
    by_id = dict(zip(ids, items, strict=True))
    assert by_id["111:12"].error == "no text (media only)"
    assert by_id["111:12"].metadata["media_type"] == "sticker"
    assert "not an object" in by_id["222:#1"].error
    no_id = by_id["222:#2"]
    assert no_id.error == "message #2 has no id" and no_id.text == "A message without an id."
    assert no_id.published_at == utc(2024, 2, 3, 9, 1)  # bad date_unixtime, "date" used
    assert by_id["333:1"].text == "Happy new year!"
    assert it.summary.containers == 3 and it.summary.skipped == {"service messages": 1}
    # Contacts and personal information are never turned into items.
    assert all("+0" not in (i.text or "") for i in items)


def _big_export(n: int, messages_first: bool = False) -> dict:
    messages = [
        {
            "id": k,
            "type": "service" if k % 100 == 0 else "message",
            "date_unixtime": str(1704164645 + k),
            "from_id": f"user{k % 7}",
            "text": [f"Сообщение {k} ", {"type": "bold", "text": "жирный"}, " نص"],
        }
        for k in range(1, n + 1)
    ]
    head = {"name": "Big", "type": "public_channel", "id": 99}
    return {"messages": messages, **head} if messages_first else {**head, "messages": messages}


@pytest.mark.parametrize("messages_first", [False, True])
def test_telegram_big_export_streams_in_chunks(tmp_path: Path, messages_first: bool) -> None:
    path = tmp_path / "result.json"
    path.write_text(json.dumps(_big_export(3000, messages_first), ensure_ascii=False), "utf-8")
    assert path.stat().st_size > 4 * 65536  # several buffer refills
    it = read_telegram_export(path)
    items = list(it)
    assert len(items) == 3000 - 30 and it.summary.skipped == {"service messages": 30}
    assert items[0].external_id == "99:1" and items[-1].external_id == "99:2999"
    assert items[-1].text == "Сообщение 2999 жирный نص"
    assert items[-1].published_at == utc(2024, 1, 2, 3, 4, 5) + timedelta(seconds=2999)


def test_telegram_truncated_or_foreign_json_is_a_source_error(tmp_path: Path) -> None:
    data = json.dumps(_big_export(500), ensure_ascii=False)
    cut = tmp_path / "cut.json"
    cut.write_text(data[: len(data) // 2], "utf-8")
    seen: list[IncomingItem] = []
    with pytest.raises(SourceError, match="interrupted"):
        for item in read_telegram_export(cut):
            seen.append(item)
    assert len(seen) > 100  # what came before the cut was delivered

    other = tmp_path / "other.json"
    other.write_text('{"hello": [1, 2, 3]}', "utf-8")
    with pytest.raises(SourceError, match="not a Telegram"):
        list(read_telegram_export(other))
    array = tmp_path / "array.json"
    array.write_text("[1]", "utf-8")
    with pytest.raises(SourceError, match="not a Telegram"):
        list(read_telegram_export(array))
    with pytest.raises(SourceError, match="cannot open"):
        read_telegram_export(tmp_path / "missing.json")


def test_json_stream_matches_json_load_with_tiny_chunks() -> None:
    doc = {"a": [1, 2.5, -30000000000, True, None, 'x"y'], "b": {"c": [], "d": {}}, "e": "ж"}
    js = JsonStream(io.StringIO(json.dumps(doc, ensure_ascii=False, indent=1)), chunk_size=3)
    out: dict = {}
    for key in js.object_keys():
        if key == "a":
            out[key] = [js.value() for _ in js.array_items()]
        else:
            out[key] = js.value()
    assert out == doc and js.peek() == ""
    with pytest.raises(JsonStreamError):
        bad = JsonStream(io.StringIO('{"a" 1}'))
        list(bad.object_keys())


# -- feeds ------------------------------------------------------------------------------


def test_fetch_rss_over_http(server: FeedServer) -> None:
    server.routes["/rss"] = Route(fixture_bytes("rss.xml"), etag='"v1"')
    result = fetch_feed(server.url("/rss"), timeout=5)
    assert result.status == 200 and result.etag == '"v1"' and result.error is None
    first, second, third = result.items
    assert first.external_id == "news-1"
    assert first.text == "Встреча журналистов в Алматы\n\nСегодня в Алматы прошла встреча.\n" + (
        "Подробности «позже»."
    )
    assert "alert" not in first.text and "<" not in first.text
    assert first.published_at == utc(2024, 1, 2, 3, 4, 5)
    assert first.url == "http://127.0.0.1/news/1" and first.author == "Редакция"
    assert first.metadata == {"feed_title": "Regional news & analysis", "tags": ["общество"]}
    assert second.external_id == "http://127.0.0.1/news/2"  # no guid: the link
    assert second.published_at == utc(2024, 1, 2, 3, 0, 0)  # +0600 converted
    assert third.url is None and third.external_id.startswith("h-")  # no guid, no link
    assert third.text == "صلاة الجمعة في المسجد الكبير\n\nخطبة عن الرحمة\nوالتسامح"
    assert third.published_at is None and "not understood" in third.metadata["warnings"][0]
    assert third.external_id == fetch_feed(server.url("/rss")).items[2].external_id


def test_conditional_get_with_etag_and_last_modified(server: FeedServer) -> None:
    server.routes["/rss"] = Route(fixture_bytes("rss.xml"), etag='"v1"')
    first = fetch_feed(server.url("/rss"))
    again = fetch_feed(server.url("/rss"), etag=first.etag, modified=first.modified)
    assert again.status == 304 and again.items == [] and again.etag == '"v1"'
    assert server.hits("/rss")[1]["if-none-match"] == '"v1"'

    stamp = "Tue, 02 Jan 2024 03:04:05 GMT"
    server.routes["/atom"] = Route(
        fixture_bytes("atom.xml"), "application/atom+xml", last_modified=stamp
    )
    first = fetch_feed(server.url("/atom"))
    assert first.modified == stamp and first.etag is None and len(first.items) == 2
    again = fetch_feed(server.url("/atom"), modified=first.modified)
    assert again.status == 304 and again.items == [] and again.modified == stamp
    assert server.hits("/atom")[1]["if-modified-since"] == stamp


def test_fetch_atom_from_a_local_file() -> None:
    result = fetch_feed(FIXTURES / "atom.xml")
    assert result.status is None and result.error is None
    why, updated = result.items
    assert why.external_id == "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"
    assert why.text == "Why they lie\n\nA short essay on recruitment myths.\nOne\nTwo"
    assert why.published_at == utc(2024, 3, 1, 7, 30)  # published wins over updated
    assert why.author == "Blog team" and why.url == "http://127.0.0.1/posts/why"
    assert updated.published_at == utc(2024, 3, 2, 8, 0)  # only <updated>
    assert fetch_feed((FIXTURES / "atom.xml").as_uri()).items == result.items


def test_broken_feed_keeps_what_parsed_and_reports(server: FeedServer) -> None:
    server.routes["/broken"] = Route(fixture_bytes("broken.xml"))
    result = fetch_feed(server.url("/broken"))
    assert result.error and "mismatched tag" in result.error
    assert result.items[0].external_id == "broken-1"
    assert result.items[0].text == "First item survives\n\nStill readable."
    # Whatever the parser made of the cut-off entry, it is kept, never dropped.
    assert len(result.items) == 2 and result.items[1].error


def test_gzip_response(server: FeedServer) -> None:
    server.routes["/gz"] = Route(fixture_bytes("atom.xml"), gzip=True)
    assert len(fetch_feed(server.url("/gz")).items) == 2


def test_unreadable_feeds_raise_source_error(server: FeedServer, tmp_path: Path) -> None:
    server.routes["/page"] = Route(fixture_bytes("not_a_feed.html"), "text/html")
    server.routes["/big"] = Route(rss(*((f"g{k}", "x" * 200) for k in range(200))))
    server.routes["/slow"] = Route(fixture_bytes("rss.xml"), delay=2.0)
    server.routes["/error"] = Route(b"oops", status=500)
    with pytest.raises(SourceError, match="not an RSS or Atom feed"):
        fetch_feed(server.url("/page"))
    with pytest.raises(SourceError, match="HTTP 404") as caught:
        fetch_feed(server.url("/missing?token=s3cret"))
    assert "s3cret" not in str(caught.value)
    with pytest.raises(SourceError, match="HTTP 500"):
        fetch_feed(server.url("/error"))
    with pytest.raises(SourceError, match="exceeds"):
        fetch_feed(server.url("/big"), max_bytes=10_000)
    t0 = time.monotonic()
    with pytest.raises(SourceError):
        fetch_feed(server.url("/slow"), timeout=0.3)
    assert time.monotonic() - t0 < 1.5
    with pytest.raises(SourceError, match="unsupported URL scheme"):
        fetch_feed("ftp://127.0.0.1/feed.xml")
    with pytest.raises(SourceError, match="cannot open"):
        fetch_feed(tmp_path / "none.xml")


def test_a_body_that_looks_like_a_path_is_not_opened(server: FeedServer, tmp_path: Path) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_bytes(fixture_bytes("atom.xml"))
    server.routes["/path"] = Route(str(secret).encode(), "text/plain")
    with pytest.raises(SourceError):
        fetch_feed(server.url("/path"))  # feedparser would have read the file for bytes


def test_html_to_text() -> None:
    html = (
        '<div title="a > b">Hello&nbsp;<b>world</b> &amp; more<!-- hidden --></div>'
        "<script>var x = '<p>no</p>';</script><style>p{}</style><p>Next  line</p>x&lt;y"
    )
    assert html_to_text(html) == "Hello world & more\nNext line\nx<y"
    assert html_to_text("") == ""


# -- the poller -------------------------------------------------------------------------


class Collector:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []
        self.event = threading.Event()
        self.fail = False

    def __call__(self, name: str, items: list[IncomingItem]) -> None:
        if self.fail:
            raise RuntimeError("database is down")
        self.calls.append((name, [i.external_id for i in items]))
        self.event.set()

    def wait(self, count: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.calls) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.calls) >= count, self.calls


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_poller_delivers_new_items_once_and_stops_promptly(server: FeedServer) -> None:
    server.routes["/feed"] = Route(rss(("a", "Alpha"), ("b", "Beta")), etag='"1"')
    got = Collector()
    poller = FeedPoller([FeedSource("news", server.url("/feed"), interval=0.1)], got, timeout=2)
    poller.start()
    try:
        got.wait(1)
        assert got.calls[0] == ("news", ["a", "b"])
        wait_for(lambda: len(server.hits("/feed")) >= 3)  # later ticks: 304, no callback
        assert len(got.calls) == 1
        assert server.hits("/feed")[-1]["if-none-match"] == '"1"'

        server.routes["/feed"] = Route(rss(("c", "Gamma"), ("a", "Alpha")), etag='"2"')
        got.wait(2)
        hits = len(server.hits("/feed"))
        wait_for(lambda: len(server.hits("/feed")) >= hits + 2)
        assert got.calls == [("news", ["a", "b"]), ("news", ["c"])]
    finally:
        t0 = time.monotonic()
        assert poller.stop(timeout=2)
        assert time.monotonic() - t0 < 1.0
    assert not poller.running
    stopped_at = len(server.hits("/feed"))
    time.sleep(0.3)
    assert len(server.hits("/feed")) == stopped_at


def test_poller_without_validators_still_delivers_once(server: FeedServer) -> None:
    server.routes["/plain"] = Route(rss(("x", "X")))  # no ETag, no Last-Modified
    got = Collector()
    poller = FeedPoller([FeedSource("plain", server.url("/plain"), 60)], got)
    assert poller.poll_once() == 1
    assert poller.poll_once() == 0
    assert got.calls == [("plain", ["x"])]


def test_poller_stop_interrupts_a_long_wait(server: FeedServer) -> None:
    server.routes["/feed"] = Route(rss(("a", "Alpha")))
    got = Collector()
    with FeedPoller([FeedSource("slowly", server.url("/feed"), interval=3600)], got) as poller:
        got.wait(1)
        t0 = time.monotonic()
        assert poller.stop(timeout=2)
        assert time.monotonic() - t0 < 0.5


def test_poller_logs_errors_without_text_and_retries(
    server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="nazar.monitor.sources")
    server.routes["/ok"] = Route(rss(("s1", "Secret personal words")), etag='"e"')
    got = Collector()
    poller = FeedPoller(
        [
            FeedSource("gone", server.url("/gone"), 0.1),
            FeedSource("ok", server.url("/ok"), 0.1),
        ],
        got,
    )
    got.fail = True
    assert poller.poll_once() == 0  # 404 logged; callback failed, so nothing is marked seen
    assert poller.poll_once() == 0
    assert "If-None-Match".lower() not in server.hits("/ok")[-1]  # etag not kept on failure
    got.fail = False
    assert poller.poll_once() == 1  # the same items again, now delivered
    assert got.calls == [("ok", ["s1"])]
    assert len(server.hits("/gone")) == 3  # retried every tick
    log = caplog.text
    assert "gone" in log and "HTTP 404" in log and "RuntimeError" in log
    assert "Secret" not in log and "database is down" not in log


def test_poller_rejects_bad_configuration() -> None:
    with pytest.raises(ValueError, match="unique"):
        FeedPoller([FeedSource("a", "http://127.0.0.1/"), FeedSource("a", "x")], Collector())
    with pytest.raises(ValueError, match="positive"):
        FeedPoller([FeedSource("a", "http://127.0.0.1/", 0)], Collector())
