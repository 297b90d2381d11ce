"""The web dashboard, end to end: the real app under uvicorn, driven by a real headless Chromium.

One server and one browser per module (start-up is the slow part); each test gets a fresh
browser context, so sessionStorage (where the dashboard keeps the API key) starts empty.

Needs Debian's ``chromium`` (``apt-get install -y chromium``) at /usr/bin/chromium, or any
Chromium on PATH, or one named by ``NAZAR_CHROMIUM``; the tests skip, saying why, when none
is found. Set ``NAZAR_SCREENSHOTS=DIR`` to keep screenshots of the pages.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

AR_FLAGGED = (
    "🔥 أخونا أبو عبد الله تقبله الله انغمس في صفوف المرتدين، والدولة الإسلامية باقية وتتمدد"
)
EN_FLAGGED = "Brothers, the Khilafah is calling you: make hijra to the land of the State and give bay'ah to the Amir, paradise awaits the sincere."
RU_FLAGGED = "Братья, халифат ждёт вас, совершайте хиджру и присягайте амиру, шахиды в раю!"
KK_FLAGGED = "Бауырлар, халифатқа хижрат жасаңдар, кәпірлер мен муртадтарға қарсы жиһадқа шығыңдар!"
KK_WEATHER = "Бүгін Астанада күн ашық, кешке қарай жаңбыр жауады деп күтілуде."
XSS_TEXT = (
    '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script> great match, onerror fans'
)

ITEMS: dict[str, list[tuple[str, str]]] = {
    "telegram-ar": [
        ("ar-1", AR_FLAGGED),
        (
            "ar-2",
            "أعلنت وزارة الداخلية إعادة عدد من النساء والأطفال من مخيم الهول، وقالت إنهم سيخضعون لبرامج إعادة التأهيل.",
        ),
        (
            "ar-3",
            "قال النبي صلى الله عليه وسلم: إنما الأعمال بالنيات، وإنما لكل امرئ ما نوى. رواه البخاري",
        ),
    ],
    "vk-ru": [
        ("ru-1", RU_FLAGGED),
        (
            "ru-2",
            "Суд приговорил жителя области к шести годам за участие в террористической организации, сообщает пресс-служба.",
        ),
    ],
    "forum-kk": [
        ("kk-1", KK_FLAGGED),
        ("kk-2", KK_WEATHER),
        (
            "kk-3",
            "«Жусан» операциясы аясында Сириядан оралған әйелдер мен балалар оңалту орталығында бейімделуден өтуде.",
        ),
    ],
    "feed-en": [
        ("en-1", EN_FLAGGED),
        (
            "en-2",
            "Great match last night, what a goal in the 90th minute! Can't wait for the final on Saturday.",
        ),
        (
            "en-3",
            "The group said in a statement that one of its members carried out the attack; police have detained three suspects, according to officials.",
        ),
        ("en-4", XSS_TEXT),
    ],
}
DAYS = ["2025-03-03", "2025-03-04", "2025-03-05", "2025-03-06"]


def find_chromium() -> str | None:
    candidates = [os.environ.get("NAZAR_CHROMIUM"), "/usr/bin/chromium"]
    candidates += [shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")]
    for path in candidates:
        if path and Path(path).is_file() and os.access(path, os.X_OK):
            return path
    return None


@dataclass
class Service:
    base: str
    keys: dict[str, str]  # role -> key
    ids: dict[str, int]  # external id -> item id

    def get(self, path: str, role: str = "admin") -> Any:
        r = httpx.get(self.base + path, headers={"Authorization": f"Bearer {self.keys[role]}"})
        r.raise_for_status()
        return r.json()

    def post(self, path: str, body: Any, role: str = "admin") -> httpx.Response:
        return httpx.post(
            self.base + path, json=body, headers={"Authorization": f"Bearer {self.keys[role]}"}
        )


@contextmanager
def serve_app(home: Path) -> Iterator[tuple[Any, str]]:
    """The real app (real detector, SQLite under ``home``) served by uvicorn on a free port."""
    import uvicorn

    from nazar.api.app import ServiceConfig, create_app

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NAZAR_HOME", str(home))
        # These tests are about the page, not the encoder: suggestions use the lexical measure.
        mp.setenv("NAZAR_COUNTER_SIMILARITY", "lexical")
        mp.delenv("NAZAR_DATABASE_URL", raising=False)
        app = create_app(
            ServiceConfig(database_url=f"sqlite:///{home / 'nazar.sqlite3'}", run_alerts=False)
        )
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="dashboard-uvicorn", daemon=True
        )
        thread.start()
        try:
            deadline = time.monotonic() + 20
            while not server.started:
                assert thread.is_alive(), "uvicorn stopped during start-up"
                assert time.monotonic() < deadline, "uvicorn did not start"
                time.sleep(0.05)
            yield app, f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(10)


def mint_keys(app: Any, roles: tuple[str, ...], suffix: str) -> dict[str, str]:
    from nazar.api.auth import create_key

    with app.state.nazar.sessions() as session:
        return {role: create_key(session, role, f"{role}-{suffix}")[0] for role in roles}


def wait_scored(svc: Service) -> None:
    """Wait until the worker scored everything, then remember item ids by external id."""
    deadline = time.monotonic() + 60
    while httpx.get(svc.base + "/healthz").json()["pending"]:
        assert time.monotonic() < deadline, "items were not scored in time"
        time.sleep(0.1)
    listed = svc.get("/api/v1/items?limit=100")["items"]
    svc.ids = {it["external_id"]: it["id"] for it in listed}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The served app with items in four languages, scored."""
    with serve_app(tmp_path_factory.mktemp("dashboard_home")) as (app, base):
        keys = mint_keys(app, ("admin", "reviewer", "analyst", "ingest"), "browser-test")
        svc = Service(base, keys, {})
        n = 0
        for source, rows in ITEMS.items():
            batch = []
            for ext, text in rows:
                batch.append(
                    {
                        "external_id": ext,
                        "text": text,
                        "published_at": f"{DAYS[n % len(DAYS)]}T10:00:00Z",
                    }
                )
                n += 1
            r = svc.post("/api/v1/items", {"source": source, "items": batch}, role="ingest")
            assert r.status_code == 200, r.text
            assert r.json()["accepted"] == len(batch)
        wait_scored(svc)
        yield svc


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = find_chromium()
    if chromium is None:
        if os.environ.get("NAZAR_REQUIRE_BROWSER") == "1":  # CI installs it: missing is a failure
            pytest.fail("NAZAR_REQUIRE_BROWSER=1 but no Chromium was found")
        pytest.skip(
            "no Chromium: /usr/bin/chromium is missing and none is on PATH "
            "(install Debian's package: apt-get install -y chromium)"
        )
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def screenshot(page: Any, name: str) -> None:
    folder = os.environ.get("NAZAR_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def sign_in(page: Any, service: Service, role: str, hash_: str = "") -> None:
    page.goto(service.base + "/" + hash_)
    page.get_by_label("API key").fill(service.keys[role])
    page.get_by_role("button", name="Sign in").click()
    page.locator("#whoami").wait_for(state="visible")
    assert page.locator("#whoami-role").text_content() == role


def nav_links(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("#nav li:not([hidden]) a").all_text_contents()]


# ------------------------------------------------------------------------------------ tests


def test_wrong_key_shows_an_error_and_keeps_nothing(page: Any, service: Service) -> None:
    page.goto(service.base + "/")
    page.get_by_label("API key").fill("nzr_not-a-real-key")
    page.get_by_role("button", name="Sign in").click()
    error = page.locator("#signin-error")
    error.filter(has_text="unknown or revoked API key").wait_for()
    assert page.locator("#status").get_attribute("class") == "status error"
    assert page.locator("#signin").is_visible()
    assert page.locator("#nav").is_hidden()
    assert page.evaluate("sessionStorage.length") == 0
    assert "nzr_" not in page.url


def test_admin_sees_trends_drawn_by_chartjs(page: Any, service: Service) -> None:
    sign_in(page, service, "admin")
    assert page.url.endswith("#/trends")
    # The key is in sessionStorage only: not in the URL, a cookie or localStorage.
    assert page.evaluate("sessionStorage.getItem('nazar.apiKey')") == service.keys["admin"]
    assert service.keys["admin"] not in page.url
    assert page.context.cookies() == []
    assert page.evaluate("localStorage.length") == 0

    page.wait_for_function(
        "() => { const c = document.querySelector('#chart-share');"
        " const ch = c && window.Chart.getChart(c); return ch && ch.data.datasets.length > 0; }"
    )
    chart = page.evaluate(
        """() => {
            const ch = Chart.getChart(document.querySelector('#chart-share'));
            return {
                type: ch.config.type,
                buckets: ch.data.labels,
                lines: ch.data.datasets.filter(d => !d._band).map(d => d.label),
                bands: ch.data.datasets.filter(d => d._band && d.fill === '-1').length,
            };
        }"""
    )
    assert chart["type"] == "line"
    assert chart["buckets"] == DAYS
    assert sorted(chart["lines"]) == sorted(ITEMS)
    assert chart["bands"] == len(ITEMS)  # one Wilson band per source
    inked = page.evaluate(
        """() => {
            const c = document.querySelector('#chart-share');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
            return n;
        }"""
    )
    assert inked > 2000, "the share chart canvas is blank"
    label_sets = page.evaluate(
        "() => Chart.getChart(document.querySelector('#chart-labels')).data.datasets"
        ".map(d => d.label)"
    )
    assert "violent_extremist" in label_sets
    theme_sets = page.evaluate(
        "() => Chart.getChart(document.querySelector('#chart-themes')).data.datasets"
        ".map(d => d.label)"
    )
    assert "call_to_join" in theme_sets
    screenshot(page, "trends")

    page.get_by_label("Group by").select_option("lang")
    page.wait_for_function(
        "() => Chart.getChart(document.querySelector('#chart-share')).data.datasets"
        ".some(d => d.label === 'ar')"
    )
    assert "language" in page.locator("#share-title").text_content()

    page.get_by_role("button", name="Sign out").click()
    page.locator("#signin").wait_for(state="visible")
    assert page.evaluate("sessionStorage.length") == 0


def test_review_queue_shows_arabic_right_to_left_with_evidence_marked(
    page: Any, service: Service
) -> None:
    item_id = service.ids["ar-1"]
    detail = service.get(f"/api/v1/items/{item_id}")
    assert detail["evidence"], "the detector gave no evidence for the Arabic post"
    sign_in(page, service, "reviewer")
    assert page.url.endswith("#/review")  # a reviewer has no trends: the queue comes first
    card = page.locator(f"#queue li[data-item-id='{item_id}']")
    card.locator("mark").first.wait_for()
    text = card.locator(".item-text")
    assert text.get_attribute("dir") == "auto"
    assert text.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert text.evaluate("e => getComputedStyle(e).unicodeBidi") == "plaintext"
    assert text.text_content() == AR_FLAGGED  # the original text, emoji included
    marks = card.locator("mark")
    got = [(m.text_content(), m.get_attribute("title")) for m in marks.all()]
    want = [(e["text"], e["why"]) for e in sorted(detail["evidence"], key=lambda e: e["start"])]
    assert got == want
    # Offsets are code points: the emoji before the first span must not shift it.
    assert got[0][0] == AR_FLAGGED[detail["evidence"][0]["start"] : detail["evidence"][0]["end"]]
    cyrillic = page.locator(f"#queue li[data-item-id='{service.ids['kk-1']}'] .item-text")
    assert cyrillic.evaluate("e => getComputedStyle(e).direction") == "ltr"
    # The counter-narrative panel is shown only when its API answers.
    counter = httpx.get(
        f"{service.base}/api/v1/counter/suggest/item/{item_id}",
        headers={"Authorization": f"Bearer {service.keys['reviewer']}"},
    )
    if counter.status_code != 200:
        assert page.locator(".counter-panel").count() == 0
    for label in ("Confirm", "Reject", "Relabel…"):
        assert card.get_by_role("button", name=label).is_visible()
    screenshot(page, "review")


def test_rejecting_removes_the_item_and_the_api_records_it(page: Any, service: Service) -> None:
    item_id = service.ids["en-1"]
    sign_in(page, service, "reviewer", "#/review")
    card = page.locator(f"#queue li[data-item-id='{item_id}']")
    card.wait_for()
    before = page.locator("#queue li[data-item-id]").count()
    card.get_by_label("Note (optional)").fill("recruitment call, but quoted in research")
    card.get_by_role("button", name="Reject").click()
    card.wait_for(state="detached")
    page.locator("#status").filter(has_text=f"Item #{item_id} rejected").wait_for()
    assert page.locator("#queue li[data-item-id]").count() == before - 1
    item = service.get(f"/api/v1/items/{item_id}")
    assert item["review_state"] == "rejected"
    assert item["reviews"][-1]["reviewer"] == "reviewer-browser-test"
    assert item["reviews"][-1]["note"] == "recruitment call, but quoted in research"
    page.reload()
    page.locator("#queue li[data-item-id]").first.wait_for()
    assert page.locator(f"#queue li[data-item-id='{item_id}']").count() == 0


def test_relabel_sends_label_and_themes(page: Any, service: Service) -> None:
    item_id = service.ids["kk-1"]
    sign_in(page, service, "admin", "#/review")
    card = page.locator(f"#queue li[data-item-id='{item_id}']")
    card.get_by_role("button", name="Relabel…").click()
    card.get_by_label("Label", exact=True).select_option("counter_narrative")
    screenshot(page, "relabel")
    for box in card.locator(".themes input").all():
        box.set_checked(box.get_attribute("value") == "revenge_grievance")
    card.get_by_role("button", name="Save relabel").click()
    card.wait_for(state="detached")
    item = service.get(f"/api/v1/items/{item_id}")
    assert item["review_state"] == "relabelled"
    assert item["reviewed_label"] == "counter_narrative"
    assert item["reviewed_themes"] == ["revenge_grievance"]


def test_item_search_finds_by_word_and_opens_the_detail(page: Any, service: Service) -> None:
    ru_id = service.ids["ru-1"]
    r = service.post(f"/api/v1/review/{ru_id}", {"action": "confirm", "note": "ok"}, "reviewer")
    assert r.status_code == 200, r.text
    sign_in(page, service, "analyst", "#/items")
    page.get_by_label("Search").fill("Астанада")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**#/items?q=*")
    rows = page.locator("#items-table tbody tr")
    rows.first.wait_for()
    assert [int(x) for x in rows.evaluate_all("rs => rs.map(r => r.dataset.itemId)")] == [
        service.ids["kk-2"]
    ]
    assert page.locator("#items-range").text_content() == "1–1 of 1"

    page.get_by_label("Search").fill("присягайте")
    page.get_by_label("Language").select_option("ru")
    page.get_by_role("button", name="Search").click()
    page.locator(f"#items-table tr[data-item-id='{ru_id}']").wait_for()
    assert rows.count() == 1
    rows.first.locator("td.snippet").click()
    detail = page.locator("#item-detail")
    detail.wait_for()
    assert page.url.endswith(f"#/items/{ru_id}")
    api = service.get(f"/api/v1/items/{ru_id}")
    assert detail.locator(".item-text mark").count() == len(api["evidence"])
    assert detail.locator("table.scores tr").count() == len(api["scores"])
    screenshot(page, "item-detail")
    history = detail.locator("table.reviews tbody tr")
    assert history.count() == 1
    assert "confirm" in history.first.text_content()
    assert "reviewer-browser-test" in history.first.text_content()
    page.get_by_role("link", name="← Items").click()
    page.wait_for_url("**#/items?q=*")


def test_item_text_is_escaped(page: Any, service: Service) -> None:
    sign_in(page, service, "analyst", "#/items?q=onerror")
    row = page.locator(f"#items-table tr[data-item-id='{service.ids['en-4']}']")
    row.wait_for()
    assert row.locator("td.snippet").text_content() == XSS_TEXT
    assert page.locator("#items-table img, #items-table script").count() == 0
    assert page.evaluate("window.__xss") is None


def test_reviewer_sees_neither_trends_nor_source_admin(page: Any, service: Service) -> None:
    sign_in(page, service, "reviewer")
    links = nav_links(page)
    assert "Review queue" in links and "Items" in links
    assert "Trends" not in links and "Sources" not in links and "Alerts" not in links
    page.goto(service.base + "/#/trends")
    page.locator(".denied").filter(has_text="may not see this page").wait_for()
    assert page.locator("canvas").count() == 0
    page.goto(service.base + "/#/sources")
    page.locator(".denied").wait_for()
    assert page.locator("#source-form").count() == 0


def test_analyst_sees_no_review_buttons(page: Any, service: Service) -> None:
    sign_in(page, service, "analyst")
    links = nav_links(page)
    assert "Review queue" not in links
    assert "Trends" in links and "Sources" in links and "Alerts" in links
    page.goto(service.base + f"/#/items/{service.ids['ar-1']}")
    page.locator("#item-detail mark").first.wait_for()
    assert page.locator(".review-actions").count() == 0
    for name in ("Confirm", "Reject", "Relabel…"):
        assert page.get_by_role("button", name=name).count() == 0
    page.goto(service.base + "/#/sources")
    page.locator("#sources-table").wait_for()
    assert page.locator("#source-form").count() == 0
    page.goto(service.base + "/#/alerts")
    page.locator("#rules-table").wait_for()
    assert page.locator("#rule-form").count() == 0
    page.goto(service.base + "/#/review")
    page.locator(".denied").wait_for()


def test_admin_adds_sources_and_rules_and_sees_api_errors(page: Any, service: Service) -> None:
    sign_in(page, service, "admin", "#/sources")
    table = page.locator("#sources-table")
    table.wait_for()
    row = table.locator("tr", has_text="telegram-ar")
    assert row.locator("td.num").text_content() == "3"
    page.get_by_label("Name").fill("feed-test")
    page.get_by_label("Kind").select_option("rss")
    page.get_by_label("Feed URL (rss)").fill("https://example.org/feed.xml")
    page.get_by_role("button", name="Add source").click()
    table.locator("tr", has_text="feed-test").wait_for()
    made = {s["name"]: s for s in service.get("/api/v1/sources")}
    assert made["feed-test"]["kind"] == "rss"
    assert made["feed-test"]["settings"] == {"url": "https://example.org/feed.xml"}
    # The API's own error message reaches the status line.
    page.get_by_label("Name").fill("feed-test")
    page.get_by_label("Kind").select_option("push")
    page.get_by_role("button", name="Add source").click()
    status = page.locator("#status.error")
    status.filter(has_text="conflict: a source named 'feed-test' exists").wait_for()
    screenshot(page, "sources")

    page.goto(service.base + "/#/alerts")
    page.get_by_label("Name").fill("ar spike")
    page.get_by_label("Source", exact=True).select_option("telegram-ar")
    page.get_by_label("Margin (share, 0–1)").fill("0.1")
    page.get_by_role("button", name="Add rule").click()
    page.locator("#rules-table tr", has_text="ar spike").wait_for()
    screenshot(page, "alerts")
    rules = service.get("/api/v1/alerts/rules")
    assert [(r["name"], r["source"], r["margin"]) for r in rules] == [
        ("ar spike", "telegram-ar", 0.1)
    ]


def test_narrow_screen_has_no_horizontal_page_scroll(browser: Any, service: Service) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        pg = context.new_page()
        sign_in(pg, service, "admin", "#/review")
        pg.locator("#queue li[data-item-id]").first.wait_for()
        screenshot(pg, "review-narrow")
        overflow = pg.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1
    finally:
        context.close()
