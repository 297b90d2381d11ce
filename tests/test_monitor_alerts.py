"""Alert rules fire on a real rise in prevalence, post their webhook, and fire once per window;
RSS sources configured in the service are polled and their items stored."""

from __future__ import annotations

import json
import threading
import time
import typing
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select

from nazar.monitor.alerts import evaluate
from nazar.monitor.ingest import get_or_create_source, ingest
from nazar.monitor.sources import IncomingItem
from nazar.store.db import connect, utcnow
from nazar.store.models import Alert, AlertRule, Item


class _Hook(BaseHTTPRequestHandler):
    received: typing.ClassVar[list[dict]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def hook_url():
    _Hook.received = []
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


def _stored(session, source, n_pos: int, n_neg: int, days_ago: float, tag: str) -> None:
    when = utcnow() - timedelta(days=days_ago)
    items = [IncomingItem(f"{tag}{i}", f"text {tag}{i}", when) for i in range(n_pos + n_neg)]
    ingest(session, source, items)
    rows = session.scalars(select(Item).where(Item.external_id.like(f"{tag}%"))).all()
    for i, item in enumerate(sorted(rows, key=lambda r: r.id)):
        positive = i < n_pos
        item.state = "scored"
        item.label = "violent_extremist" if positive else "news"
        item.score = 0.9 if positive else 0.1
        item.flagged = positive
    session.commit()


def test_rule_fires_on_a_rise_posts_aggregates_only_and_fires_once(hook_url):
    sessions = connect()
    with sessions() as session:
        source = get_or_create_source(session, "channel")
        _stored(session, source, 2, 38, days_ago=5, tag="base")  # baseline 5%
        _stored(session, source, 8, 22, days_ago=0.2, tag="now")  # last day 27%
        session.add(
            AlertRule(
                name="rise",
                source_id=source.id,
                window_days=1,
                baseline_days=14,
                margin=0.1,
                min_items=20,
                webhook_url=hook_url,
            )
        )
        session.commit()
        fired = evaluate(session)
        assert len(fired) == 1
        alert = fired[0]
        assert alert.value == pytest.approx(8 / 30) and alert.baseline == pytest.approx(2 / 40)
        assert alert.webhook_status == "HTTP 204"
        assert _Hook.received == [
            {
                "alert_id": alert.id,
                "rule": "rise",
                "source": "channel",
                "fired_at": alert.fired_at.isoformat(),
                "window_start": alert.window_start.isoformat(),
                "window_end": alert.window_end.isoformat(),
                "prevalence": round(8 / 30, 4),
                "baseline": 0.05,
                "items": 30,
            }
        ]
        assert evaluate(session) == []  # once per window
        assert len(session.scalars(select(Alert)).all()) == 1


def test_rule_stays_quiet_without_a_rise_or_with_too_few_items():
    sessions = connect()
    with sessions() as session:
        source = get_or_create_source(session, "steady")
        _stored(session, source, 4, 36, days_ago=5, tag="base")  # 10%
        _stored(session, source, 3, 27, days_ago=0.2, tag="now")  # 10%
        small = get_or_create_source(session, "small")
        _stored(session, small, 5, 0, days_ago=0.2, tag="few")  # 100%, but only 5 items
        session.add_all(
            [
                AlertRule(name="steady", source_id=source.id, margin=0.05, min_items=20),
                AlertRule(name="small", source_id=small.id, margin=0.05, min_items=20),
            ]
        )
        session.commit()
        assert evaluate(session) == []


def test_an_unreachable_webhook_is_recorded_not_fatal():
    sessions = connect()
    with sessions() as session:
        source = get_or_create_source(session, "c")
        _stored(session, source, 10, 10, days_ago=0.1, tag="x")
        session.add(
            AlertRule(
                name="r",
                source_id=source.id,
                min_items=5,
                webhook_url="http://127.0.0.1:9/nothing-listens-here",
            )
        )
        session.commit()
        (alert,) = evaluate(session)
        assert alert.webhook_status.startswith("failed")


RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><guid>g1</guid><title>First post</title><description>Полиция задержала подозреваемых</description></item>
<item><guid>g2</guid><title>Second post</title><description>A report about the trial</description></item>
</channel></rss>"""


def test_rss_sources_of_the_service_are_polled_and_stored(detector):
    from fastapi.testclient import TestClient

    from nazar.api.app import ServiceConfig, create_app
    from nazar.api.auth import create_key

    class Feed(BaseHTTPRequestHandler):
        def do_GET(self):
            body = RSS.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Feed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app = create_app(ServiceConfig(run_alerts=False, run_feeds=True), lambda: detector)
    try:
        with TestClient(app) as client:
            with app.state.nazar.sessions() as session:
                key, _ = create_key(session, "admin")
            headers = {"Authorization": f"Bearer {key}"}
            url = f"http://127.0.0.1:{server.server_port}/feed.xml"
            r = client.post(
                "/api/v1/sources",
                json={"name": "feed", "kind": "rss", "settings": {"url": url, "interval": 1}},
                headers=headers,
            )
            assert r.status_code == 201
            deadline = time.monotonic() + 20
            items = []
            while time.monotonic() < deadline:
                items = client.get("/api/v1/items?source=feed", headers=headers).json()["items"]
                if len(items) == 2 and all(it["state"] == "scored" for it in items):
                    break
                time.sleep(0.1)
            assert sorted(it["external_id"] for it in items) == ["g1", "g2"]
            assert all(it["state"] == "scored" for it in items)
    finally:
        server.shutdown()
