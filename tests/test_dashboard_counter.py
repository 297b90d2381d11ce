"""The dashboard's counter-narrative parts, end to end: real app, real detector, Chromium.

Suggestions next to flagged posts in the review queue (with the engagement events they
record), the Counter-narratives tab (catalogue, import, approval, Try it) and the engagement
and gap report. One server for the module: the tests run in file order, the first ones on the
starter catalogue, the later ones after an admin imported an English-only catalogue.

Skips like tests/test_dashboard_browser.py when no Chromium is found (fails under
``NAZAR_REQUIRE_BROWSER=1``); ``NAZAR_SCREENSHOTS=DIR`` keeps screenshots.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from test_dashboard_browser import (  # browser, page: the shared Chromium fixtures
    EN_FLAGGED,
    KK_FLAGGED,
    KK_WEATHER,
    RU_FLAGGED,
    Service,
    browser,
    mint_keys,
    page,
    screenshot,
    serve_app,
    sign_in,
    wait_scored,
)

ITEMS = {
    "forum-kk": [("kk-1", KK_FLAGGED), ("kk-2", KK_WEATHER)],
    "vk-ru": [("ru-1", RU_FLAGGED)],
    "feed-en": [("en-1", EN_FLAGGED)],
}


def en_item(item_id: str, themes: list[str], status: str = "approved") -> dict[str, Any]:
    return {
        "item_id": item_id,
        "title": f"Former recruit on {themes[0].replace('_', ' ')}",
        "kind": "testimony",
        "langs": ["en"],
        "themes": themes,
        "summary": "A man who went to Syria explains why the promises of the recruiters were lies.",
        "source_org": "Test NGO",
        "review_status": status,
    }


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The served app (see test_dashboard_browser.serve_app) with the posts above, scored."""
    with serve_app(tmp_path_factory.mktemp("dashboard_counter_home")) as (app, base):
        svc = Service(base, mint_keys(app, ("admin", "reviewer", "ingest"), "counter-test"), {})
        for source, rows in ITEMS.items():
            batch = [
                {"external_id": ext, "text": text, "published_at": "2025-03-03T10:00:00Z"}
                for ext, text in rows
            ]
            r = svc.post("/api/v1/items", {"source": source, "items": batch}, role="ingest")
            assert r.status_code == 200, r.text
        wait_scored(svc)
        yield svc


def wait_for(check: Callable[[], Any], what: str, timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def totals(service: Service) -> dict[str, int]:
    return service.get("/api/v1/counter/usage", "reviewer")["totals"]


# ------------------------------------------------------------------------------------ tests


def test_review_queue_suggests_starter_material_and_records_use(
    page: Any, service: Service
) -> None:
    kk, ru = service.ids["kk-1"], service.ids["ru-1"]
    sign_in(page, service, "reviewer", "#/review")
    kk_panel = page.locator(f"#queue li[data-item-id='{kk}'] .counter-panel")
    ru_panel = page.locator(f"#queue li[data-item-id='{ru}'] .counter-panel")
    kk_panel.wait_for()
    ru_panel.wait_for()
    for panel in (kk_panel, ru_panel):
        assert panel.get_attribute("data-source") == "starter"
        assert panel.locator(".chip.starter").text_content() == "starter examples"
        assert "not real material" in panel.locator(".starter-note").text_content()
    api = service.get(f"/api/v1/counter/suggest/item/{kk}", "reviewer")
    entries = kk_panel.locator("li.suggestion")
    assert entries.count() == len(api["suggestions"]) > 0
    want = api["suggestions"][0]
    first = entries.first
    assert first.get_attribute("data-counter-id") == want["item_id"]
    assert first.locator(".suggestion-title").text_content() == want["title"]
    assert first.locator(".suggestion-title").get_attribute("dir") == "auto"
    assert first.locator(".why").text_content() == want["why"]
    assert f"score {want['score']:.2f}" in first.text_content()
    # A Kazakh post is answered in Kazakh first, then Russian (its readers read both).
    assert {s["lang"] for s in api["suggestions"]} <= {"kk", "ru", "en"}

    # One `shown` per post and suggestion on screen, not again when the queue is redrawn.
    suggestions = page.locator(".counter-panel li.suggestion")
    seen: list[tuple[int, int]] = []

    def settled() -> bool:  # every panel drawn and its events recorded
        seen.append((suggestions.count(), totals(service)["shown"]))
        return len(seen) > 3 and len(set(seen[-3:])) == 1 and seen[-1][0] == seen[-1][1]

    wait_for(settled, "one shown event per suggestion on screen")
    on_screen = seen[-1][0]
    page.goto(service.base + "/#/items")
    page.locator("#items-table").wait_for()
    page.goto(service.base + "/#/review")
    kk_panel.wait_for()
    page.wait_for_timeout(300)
    assert totals(service)["shown"] == on_screen
    screenshot(page, "counter-review-panel")

    # Opening a suggestion shows its summary and records `clicked` (once).
    first.locator(".suggestion-title").click()
    detail = first.locator(".suggestion-detail .summary")
    detail.wait_for()
    full = service.get(f"/api/v1/counter/{want['item_id']}", "reviewer")
    assert detail.text_content() == full["summary"]
    assert detail.get_attribute("dir") == "auto"
    assert first.locator(".suggestion-url a").count() == (1 if full["url"] else 0)
    wait_for(lambda: totals(service)["clicked"] == 1, "a clicked event")
    first.locator(".suggestion-title").click()  # close
    first.locator(".suggestion-title").click()  # open again: not a second click event
    screenshot(page, "counter-review-opened")

    first.get_by_role("button", name="Mark as sent").click()
    first.get_by_role("button", name="Sent ✓").wait_for()
    wait_for(lambda: totals(service)["sent"] == 1, "a sent event")
    usage = service.get("/api/v1/counter/usage", "reviewer")
    assert usage["totals"]["clicked"] == 1
    sent = [r for r in usage["rows"] if r["sent"]]
    assert [(r["lang"], r["sent"]) for r in sent] == [("kk", 1)]
    assert sent[0]["theme"] in want["themes"]
    assert next(r for r in usage["by_item"] if r["sent"])["counter_item_id"] == want["item_id"]


def test_reviewer_sees_the_counter_tab_read_only_and_can_try_a_text(
    page: Any, service: Service
) -> None:
    sign_in(page, service, "reviewer", "#/counter")
    assert "Counter-narratives" in page.locator("#nav li:not([hidden]) a").all_text_contents()
    page.locator("#counter-table tbody tr").first.wait_for()
    assert page.locator("#counter-source").get_attribute("data-source") == "starter"
    listed = service.get("/api/v1/counter?limit=20", "reviewer")
    assert page.locator("#counter-table tbody tr").count() == len(listed["items"])
    assert page.locator("#counter-range").text_content() == f"1–20 of {listed['total']}"
    assert page.get_by_role("button", name="Add an item…").count() == 0
    assert page.locator("#counter-import, #counter-add-form, [data-action=approve]").count() == 0
    # Filters: Russian items answering martyrdom_reward.
    page.get_by_label("Language").select_option("ru")
    page.get_by_label("Theme").select_option("martyrdom_reward")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**#/counter?lang=ru&theme=martyrdom_reward")
    filtered = service.get("/api/v1/counter?lang=ru&theme=martyrdom_reward", "reviewer")
    rows = page.locator("#counter-table tbody tr")
    wait_for(lambda: rows.count() == filtered["total"] > 0, "the filtered list")
    rows.first.locator("a.counter-title").click()
    page.locator("#counter-detail").wait_for()
    assert page.locator("#counter-detail button").count() == 0  # no approve, edit or delete

    page.get_by_role("link", name="Try it").click()
    page.get_by_label("Text of a post").fill(RU_FLAGGED)
    page.get_by_role("button", name="Suggest").click()
    result = page.locator("#try-result li.suggestion")
    result.first.wait_for()
    assert "Read as Russian (ru)" in page.locator("#try-result").text_content()
    assert result.count() == 5
    assert result.first.locator(".why").text_content().startswith("answers ")
    assert page.locator("#try-result [data-action=sent]").count() == 0  # nothing is recorded
    screenshot(page, "counter-try")


def test_admin_imports_a_catalogue_approves_a_draft_and_exports(
    page: Any, service: Service, tmp_path: Path
) -> None:
    ru_themes = service.get(f"/api/v1/items/{service.ids['ru-1']}")["themes"]
    assert ru_themes, "the detector found no narrative in the Russian post"
    records = [
        en_item("en-answer-1", [ru_themes[0]]),
        en_item("en-answer-2", ["takfir"]),
        en_item("en-draft", [ru_themes[0]], status="draft"),
        {"item_id": "broken", "title": "x", "kind": "poster", "langs": ["en"]},
    ]
    catalogue = tmp_path / "catalogue.jsonl"
    catalogue.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")

    sign_in(page, service, "admin", "#/counter")
    page.locator("#counter-source[data-source=starter]").wait_for()
    screenshot(page, "counter-catalogue-starter")
    page.get_by_label("Catalogue file (.jsonl or .json)").set_input_files(str(catalogue))
    page.get_by_role("button", name="Import").click()
    result = page.locator("#counter-import-result")
    result.filter(has_text="3 created").wait_for()
    assert "0 updated, 0 unchanged, 1 error." in result.text_content()
    assert "line 4 (broken): " in result.locator(".import-errors").text_content()
    assert "unknown kind 'poster'" in result.text_content()
    page.locator("#counter-source[data-source=database]").wait_for()
    rows = page.locator("#counter-table tbody tr")
    assert rows.count() == 3
    assert page.locator("#counter-range").text_content() == "1–3 of 3"

    # The draft is approved from the list.
    draft = page.locator("#counter-table tr[data-counter-id='en-draft']")
    assert draft.locator(".chip.status-draft").count() == 1
    draft.get_by_role("button", name="Approve").click()
    draft.locator(".chip.status-approved").wait_for()
    assert service.get("/api/v1/counter/en-draft")["review_status"] == "approved"
    assert page.locator("[data-action=approve]").count() == 0
    screenshot(page, "counter-catalogue-imported")

    # The export is fetched with the key in a header and saved from a Blob.
    with page.expect_download() as info:
        page.get_by_role("button", name="Download JSONL").click()
    download = info.value
    assert download.url.startswith("blob:")
    lines = Path(download.path()).read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["item_id"] for line in lines) == [
        "en-answer-1",
        "en-answer-2",
        "en-draft",
    ]

    # The add form shows the API's validation errors.
    page.get_by_role("button", name="Add an item…").click()
    form = page.locator("#counter-add-form")
    form.get_by_label("ID").fill("en-new")
    form.get_by_label("Title").fill("A new item")
    form.get_by_label("URL").fill("ftp://example.org/x")
    form.get_by_role("button", name="Add item").click()
    errors = form.locator(".form-errors")
    errors.filter(has_text="missing summary").wait_for()
    assert "url must start with http:// or https://" in errors.text_content()
    assert "missing langs" in errors.text_content()
    screenshot(page, "counter-add-errors")


def test_gap_report_shows_russian_narratives_with_no_russian_material(
    page: Any, service: Service
) -> None:
    gaps = service.get("/api/v1/counter/gaps")
    assert gaps["source"] == "database"
    ru_rows = [r for r in gaps["narratives"] if r["lang"] == "ru"]
    assert ru_rows and all(r["no_item_in_language"] for r in ru_rows)
    sign_in(page, service, "admin", "#/counter/usage")
    table = page.locator("#gaps-table")
    table.wait_for()
    assert table.locator("tbody tr").count() == len(gaps["narratives"])
    for r in ru_rows:
        row = table.locator(f"tr[data-theme='{r['theme']}'][data-lang='ru']")
        assert row.locator("td.num").first.text_content() == str(r["posts"])
        if r["no_item_reader_can_read"]:
            assert row.get_attribute("class") == "gap gap-none"
            assert row.locator(".gap-cell").text_content() == "No material the reader can read"
        else:  # answered in English, which Russian readers often read
            assert row.get_attribute("class") == "gap gap-lang"
            assert row.locator(".gap-cell").text_content() == "None in Russian"
    assert any(not r["no_item_reader_can_read"] for r in ru_rows)  # en-answer-1
    assert f"{len(gaps['gaps'])} with no material" in page.locator("#gaps-summary").text_content()

    usage = service.get("/api/v1/counter/usage")
    chart = page.evaluate(
        """() => { const ch = Chart.getChart(document.querySelector('#chart-counter-usage'));
            return {labels: ch.data.labels, sets: ch.data.datasets.map(d => [d.label, d.data])}; }"""
    )
    assert chart["labels"] == [r["theme"] or "(no theme)" for r in usage["by_theme"]]
    assert [s[0] for s in chart["sets"]] == ["shown", "clicked", "sent"]
    assert sum(chart["sets"][0][1]) == usage["totals"]["shown"]
    assert page.locator("#usage-table tbody tr").count() == len(usage["rows"])
    screenshot(page, "counter-usage-gaps")
