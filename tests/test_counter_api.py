"""The counter-narrative catalogue in the service, end to end on a real SQLite file and a real
PostgreSQL server: CRUD and roles, import/export, the starter catalogue before any import,
suggestions for stored posts, engagement and usage, the gap report; and the CLI."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

import pytest
from test_api import Service as ApiService

from nazar.counter.catalogue import CounterItem, dump_jsonl, load_catalogue_csv
from nazar.types import THEMES

RU_FLAGGED = "Братья, халифат ждёт вас, совершайте хиджру и присягайте амиру, шахиды в раю!"
KK_FLAGGED = "Бауырлар, халифатқа хижрат жасаңдар, кәпірлер мен муртадтарға қарсы жиһадқа шығыңдар!"
EN_FLAGGED = (
    "Brothers, the Khilafah is calling you: make hijra to the land of the State and give "
    "bay'ah to the Amir, paradise awaits the sincere."
)


def record(item_id: str, langs=("en",), themes=("call_to_join",), **extra) -> dict:
    out = {
        "item_id": item_id,
        "title": f"Material {item_id}",
        "kind": "article",
        "langs": list(langs),
        "themes": list(themes),
        "summary": "A former recruit explains why the promises of the group were lies.",
        "review_status": "approved",
    }
    out.update(extra)
    return out


@dataclass
class Service(ApiService):
    """The API service's test client, with the counter routes' own calls."""

    def get(self, path: str, role: str = "analyst", **kw):
        return self.client.get("/api/v1/counter" + path, headers=self.as_(role), **kw)

    def send(self, method: str, path: str, body=None, role: str = "admin"):
        return self.client.request(
            method, "/api/v1/counter" + path, json=body, headers=self.as_(role)
        )

    def ingest(self, texts: dict[str, str]) -> dict[str, int]:
        """Ingest posts, wait until they are scored; their database ids by external id."""
        items = [{"external_id": k, "text": v} for k, v in texts.items()]
        r = self.post_items(items, source="s")
        assert r.status_code == 200, r.text
        self.wait_scored(timeout=60)
        listing = self.client.get("/api/v1/items?limit=500", headers=self.as_("analyst")).json()
        return {it["external_id"]: it["id"] for it in listing["items"]}


@pytest.fixture(autouse=True)
def lexical(monkeypatch):
    # Content closeness by character n-grams: fast and deterministic (the encoder path is the
    # same code, tested with the suggester itself).
    monkeypatch.setenv("NAZAR_COUNTER_SIMILARITY", "lexical")


@pytest.fixture
def service(database_url, open_service):
    with open_service(database_url) as (client, keys):
        yield Service(client, keys)


def test_crud_and_permissions(service):
    assert service.client.get("/api/v1/counter").status_code == 401
    r = service.get("", role="ingest")
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    for role in ("analyst", "reviewer"):
        assert service.send("post", "", record("x"), role=role).status_code == 403
        assert service.send("post", "/import", [record("x")], role=role).status_code == 403
        assert service.send("delete", "/x", role=role).status_code == 403
        assert service.send("put", "/x", record("x"), role=role).status_code == 403

    r = service.send("post", "", record("en-1", audience="youth"))
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["source"] == "database" and created["audience"] == "youth"
    assert created["created_at"] and created["updated_at"]
    assert service.send("post", "", record("en-1")).status_code == 409
    bad = service.send("post", "", record("bad", kind="podcast", langs=["xx"]))
    assert bad.status_code == 422
    assert any("unknown kind 'podcast'" in d for d in bad.json()["detail"])
    assert any("unknown lang 'xx'" in d for d in bad.json()["detail"])

    r = service.send("put", "/en-1", {**record("en-1"), "title": "New title"})
    assert r.status_code == 200 and r.json()["title"] == "New title"
    assert r.json()["audience"] is None  # PUT replaces every field
    assert service.send("put", "/nope", record("nope")).status_code == 404
    assert service.send("put", "/en-1", record("other-id")).status_code == 422
    r = service.send("patch", "/en-1", {"review_status": "retired"})
    assert r.status_code == 200 and r.json()["review_status"] == "retired"
    assert r.json()["title"] == "New title"
    assert service.send("patch", "/en-1", {"themes": ["nonsense"]}).status_code == 422

    got = service.get("/en-1", role="reviewer").json()
    assert got["review_status"] == "retired" and got["source"] == "database"
    listing = service.get("", params={"status": "retired"}).json()
    assert listing == {"items": [listing["items"][0]], "total": 1, "source": "database"}
    assert service.get("", params={"status": "approved"}).json()["total"] == 0

    assert service.send("delete", "/en-1").status_code == 204
    assert service.get("/en-1").status_code == 404
    assert service.send("delete", "/en-1").status_code == 404
    # Once written to, the catalogue is the database's, even when it is empty again.
    assert service.get("").json() == {"items": [], "total": 0, "source": "database"}
    assert service.send("post", "", record("en-1")).status_code == 201


def test_import_reports_bad_records_and_export_round_trips(service, tmp_path):
    good = [
        record("en-a", themes=["takfir", "martyrdom_reward"]),
        record("ru-b", langs=["ru"], url="https://example.org/b", date="2024-05-01"),
        record("kk-c", langs=["kk", "ru"], review_status="draft", example=True),
    ]
    body = {"items": [good[0], {**good[1], "summary": ""}, good[1], good[2], good[0], "x"]}
    r = service.send("post", "/import", body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["created"], out["updated"], out["unchanged"]) == (3, 0, 0)
    errors = {e["index"]: e for e in out["errors"]}
    assert set(errors) == {1, 4, 5}
    assert errors[1]["item_id"] == "ru-b" and "missing summary" in errors[1]["error"]
    assert "duplicate item_id 'en-a'" in errors[4]["error"]
    assert "JSON object" in errors[5]["error"]

    # A plain list works too; upsert by item_id.
    r = service.send("post", "/import", [{**good[0], "title": "Changed"}, good[1]])
    assert r.json() == {"created": 0, "updated": 1, "unchanged": 1, "errors": []}
    assert service.send("post", "/import", {"records": []}).status_code == 422

    stored = service.get("").json()
    assert stored["source"] == "database" and stored["total"] == 3
    assert service.get("", params={"lang": "ru"}).json()["total"] == 2
    assert service.get("", params={"theme": "takfir"}).json()["total"] == 1
    assert service.get("", params={"q": "CHANGED"}).json()["items"][0]["item_id"] == "en-a"

    r = service.get("/export", role="reviewer")
    assert r.status_code == 200 and r.headers["x-nazar-catalogue-source"] == "database"
    assert "attachment" in r.headers["content-disposition"]
    exported = [json.loads(line) for line in r.text.splitlines()]
    expected = [{**good[0], "title": "Changed"}, good[1], good[2]]
    assert [CounterItem(**e) for e in exported] == [CounterItem(**e) for e in expected]
    r = service.get("/export", params={"format": "csv"})
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["item_id"] for row in rows] == ["en-a", "ru-b", "kk-c"]
    assert rows[2]["langs"] == "kk;ru" and rows[2]["example"] == "true"
    csv_file = tmp_path / "export.csv"
    csv_file.write_text(r.text, encoding="utf-8")
    assert load_catalogue_csv(csv_file) == [CounterItem(**e) for e in expected]
    # Importing what was exported changes nothing.
    r = service.send("post", "/import", exported)
    assert r.json() == {"created": 0, "updated": 0, "unchanged": 3, "errors": []}
    assert len(service.get("/export", params={"status": "draft"}).text.splitlines()) == 1


def test_starter_catalogue_until_an_import_then_the_database_one(service):
    from nazar.counter.service import SUGGESTERS

    listing = service.get("", params={"limit": 1000}).json()
    assert listing["source"] == "starter" and listing["total"] >= 36
    assert all(it["example"] and it["created_at"] is None for it in listing["items"])
    assert service.get("/" + listing["items"][0]["item_id"]).json()["source"] == "starter"
    r = service.get("/export")
    assert r.headers["x-nazar-catalogue-source"] == "starter"
    assert len(r.text.splitlines()) == listing["total"]

    body = {"text": EN_FLAGGED, "lang": "en", "themes": ["call_to_join"], "k": 3}
    r = service.send("post", "/suggest", body, role="analyst")
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["source"] == "starter" and len(out["suggestions"]) == 3
    assert all(s["lang"] == "en" and s["item_id"].startswith("ex-") for s in out["suggestions"])
    assert out["suggestions"][0]["why"].startswith("answers call_to_join; same language (en)")

    service.send("post", "/import", [record("own-en"), record("own-en-2", themes=["takfir"])])
    builds = SUGGESTERS.builds
    out = service.send("post", "/suggest", body, role="reviewer").json()
    assert out["source"] == "database"
    assert [s["item_id"] for s in out["suggestions"]] == ["own-en", "own-en-2"]
    service.send("post", "/suggest", body, role="reviewer")
    assert SUGGESTERS.builds == builds + 1  # built once for this catalogue version
    service.send("patch", "/own-en", {"review_status": "draft"})
    out = service.send("post", "/suggest", body, role="reviewer").json()
    assert [s["item_id"] for s in out["suggestions"]] == ["own-en-2"]  # drafts are not offered
    assert SUGGESTERS.builds == builds + 2

    # Without lang and themes the detector tells them.
    out = service.send("post", "/suggest", {"text": RU_FLAGGED}, role="analyst").json()
    assert out["lang"] == "ru" and "call_to_join" in out["themes"]
    for bad in (
        {},
        {"text": "x", "item_id": 1},
        {"text": "x", "themes": ["nope"]},
        {"item_id": 1, "lang": "ru"},
    ):
        r = service.send("post", "/suggest", bad, role="analyst")
        assert r.status_code == 422, bad
    assert service.send("post", "/suggest", {"item_id": 999999}, role="analyst").status_code == 404
    assert service.send("post", "/suggest", body, role="ingest").status_code == 403


def test_suggestions_for_a_stored_kazakh_post_answer_its_narratives_in_kk_then_ru(service):
    ids = service.ingest({"kk": KK_FLAGGED})
    r = service.get(f"/suggest/item/{ids['kk']}", role="reviewer", params={"k": 20})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["lang"] == "kk" and out["item_id"] == ids["kk"] and out["source"] == "starter"
    assert out["themes"] and set(out["themes"]) <= set(THEMES)
    suggestions = out["suggestions"]
    langs = [s["lang"] for s in suggestions]
    assert {"kk", "ru"} <= set(langs) and set(langs) <= {"kk", "ru", "en"}
    assert langs[0] == "kk"
    assert langs.index("ru") > langs.index("kk")
    assert all(set(s["themes"]) & set(out["themes"]) for s in suggestions[:5])
    for s in suggestions:
        shared = [t for t in s["themes"] if t in out["themes"]]
        reason = "answers " + ", ".join(shared) if shared else "answers none of the post's"
        assert s["why"].startswith(reason), s
        if s["lang"] == "ru":
            assert "in ru, which kk readers often read" in s["why"]
        if s["lang"] == "kk":
            assert "same language (kk)" in s["why"]
    same = service.send("post", "/suggest", {"item_id": ids["kk"], "k": 20}, role="analyst")
    assert same.json() == out

    # The reviewer's themes win over the model's.
    r = service.client.post(
        f"/api/v1/review/{ids['kk']}",
        json={"action": "confirm", "themes": ["martyrdom_reward"]},
        headers=service.as_("reviewer"),
    )
    assert r.status_code == 200, r.text
    out = service.get(f"/suggest/item/{ids['kk']}", params={"k": 3}).json()
    assert out["themes"] == ["martyrdom_reward"]
    assert all("martyrdom_reward" in s["themes"] for s in out["suggestions"])
    assert service.get("/suggest/item/999999").status_code == 404


def test_events_are_recorded_and_usage_counted(service):
    ids = service.ingest({"ru": RU_FLAGGED})
    service.send("post", "/import", [record("ru-1", langs=["ru"]), record("en-1")])

    def event(role="reviewer", **body):
        return service.send("post", "/events", body, role=role)

    r = event(counter_item_id="ru-1", event="shown", item_id=ids["ru"])
    assert r.status_code == 201, r.text
    shown = r.json()
    # Defaults: the narrative the item answers among the post's, the post's language.
    assert shown["theme"] == "call_to_join" and shown["lang"] == "ru"
    assert shown["actor"] == "reviewer-key" and shown["item_id"] == ids["ru"]
    assert event(counter_item_id="ru-1", event="clicked", item_id=ids["ru"]).status_code == 201
    assert event("analyst", counter_item_id="ru-1", event="sent", item_id=ids["ru"]).status_code
    assert event("admin", counter_item_id="en-1", event="sent", theme="takfir").status_code == 201
    assert event(counter_item_id="en-1", event="shown").json()["lang"] == "en"

    assert event("ingest", counter_item_id="ru-1", event="shown").status_code == 403
    assert event(counter_item_id="ru-1", event="liked").status_code == 422
    assert event(counter_item_id="ru-1", event="shown", theme="nope").status_code == 422
    assert event(counter_item_id="missing", event="shown").status_code == 404
    assert event(counter_item_id="ru-1", event="shown", item_id=999999).status_code == 404

    usage = service.get("/usage").json()
    assert usage["totals"] == {"shown": 2, "clicked": 1, "sent": 2}
    rows = {(r["theme"], r["lang"]): r for r in usage["rows"]}
    assert rows[("call_to_join", "ru")] == {
        "theme": "call_to_join",
        "lang": "ru",
        "shown": 1,
        "clicked": 1,
        "sent": 1,
    }
    assert rows[("takfir", "en")]["sent"] == 1
    assert rows[(None, "en")]["shown"] == 1
    by_item = {r["counter_item_id"]: r for r in usage["by_item"]}
    assert (by_item["ru-1"]["shown"], by_item["en-1"]["sent"]) == (1, 1)
    by_theme = {r["theme"]: r for r in usage["by_theme"]}
    assert by_theme["call_to_join"]["clicked"] == 1
    assert service.get("/usage", params={"days": 1}).json()["totals"]["shown"] == 2
    assert service.get("/usage", role="ingest").status_code == 403


def test_gap_report_shows_narratives_with_no_material_in_the_posts_language(service):
    # An English-only catalogue that never answers takfir.
    answered = [t for t in THEMES if t != "takfir"]
    catalogue = [record(f"en-{t}", themes=[t]) for t in answered]
    catalogue.append(record("ru-draft", langs=["ru"], review_status="draft"))  # not approved
    assert service.send("post", "/import", catalogue).json()["created"] == len(catalogue)
    ids = service.ingest(
        {
            "ru1": RU_FLAGGED,
            "ru2": RU_FLAGGED + " Аллаху акбар!",
            "ru3": RU_FLAGGED + " #3",
            "kk": KK_FLAGGED,
            "en": EN_FLAGGED,
            "news": "Police detained three suspects after the attack, officials said.",
        }
    )
    # A reviewer's rejection takes a post out of the report.
    r = service.client.post(
        f"/api/v1/review/{ids['ru3']}", json={"action": "reject"}, headers=service.as_("reviewer")
    )
    assert r.status_code == 200, r.text

    report = service.get("/gaps").json()
    assert report["source"] == "database" and report["posts"] == 4
    rows = {(r["theme"], r["lang"]): r for r in report["narratives"]}
    gaps = {(r["theme"], r["lang"]): r for r in report["gaps"]}
    ru = rows[("call_to_join", "ru")]
    assert ru["posts"] == 2 and ru["last_seen"]
    assert ru["no_item_in_language"] and ru["items_in_language"] == 0  # the ru draft is no item
    assert not ru["no_item_reader_can_read"] and ru["items_reader_can_read"] == 1
    assert ru["reader_languages"] == ["ru", "en"] and ru["item_languages"] == ["en"]
    assert ("call_to_join", "ru") in gaps
    kk_takfir = gaps[("takfir", "kk")]
    assert kk_takfir["no_item_in_language"] and kk_takfir["no_item_reader_can_read"]
    assert kk_takfir["items_reader_can_read"] == 0
    en = rows[("call_to_join", "en")]
    assert not en["no_item_in_language"] and ("call_to_join", "en") not in gaps
    assert all(r["lang"] != "en" for r in report["gaps"] if r["theme"] != "takfir")
    assert service.get("/gaps", role="reviewer").status_code == 200
    assert service.get("/gaps", role="ingest").status_code == 403


def test_cli_imports_into_and_exports_from_the_service_database(tmp_path, capsys):
    from nazar.cli import main

    db = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    out = tmp_path / "out.jsonl"
    assert main(["counter", "export", "-o", str(out), "--database-url", db]) == 0
    assert "starter catalogue" in capsys.readouterr().err
    starter = out.read_text(encoding="utf-8").splitlines()
    assert len(starter) >= 36

    src = tmp_path / "cat.jsonl"
    dump_jsonl([CounterItem(**record("a")), CounterItem(**record("b", langs=["kk"]))], src)
    with open(src, "a", encoding="utf-8") as f:
        f.write('{"item_id": "broken"}\n')
    assert main(["counter", "import", str(src), "--database-url", db]) == 1
    captured = capsys.readouterr()
    assert "2 created" in captured.out and "1 skipped" in captured.out
    assert "cat.jsonl:3:" in captured.err and "missing title" in captured.err

    csv_out = tmp_path / "out.csv"
    assert main(["counter", "export", "-o", str(csv_out), "--database-url", db]) == 0
    assert [i.item_id for i in load_catalogue_csv(csv_out)] == ["a", "b"]
    assert "database catalogue" in capsys.readouterr().err
