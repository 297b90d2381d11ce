"""The HTTP API end to end on a real SQLite file and a real PostgreSQL server: roles, ingest
idempotency, scoring, review and audit, trends, bad requests."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

PROPAGANDA = "Brothers, the Khilafah is calling you: make hijra to the land of the State and give bay'ah to the Amir, paradise awaits the sincere."
NEWS = "The group said in a statement that one of its members carried out the attack; police have detained three suspects, according to officials."
ARABIC = (
    "أيها الموحدون، انفروا إلى أرض الخلافة وبايعوا أمير المؤمنين، فالجنة تنتظر المجاهدين الصادقين"
)


@dataclass
class Service:
    client: TestClient
    keys: dict[str, str]

    def as_(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}

    def post_items(self, items, source="src", role="ingest"):
        return self.client.post(
            "/api/v1/items", json={"source": source, "items": items}, headers=self.as_(role)
        )

    def wait_scored(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.client.get("/healthz").json()["pending"] == 0:
                return
            time.sleep(0.05)
        raise AssertionError("items were not scored in time")


@pytest.fixture
def service(database_url, open_service):
    with open_service(database_url) as (client, keys):
        yield Service(client, keys)


def test_every_api_endpoint_needs_a_key_but_health_docs_and_metrics_do_not(service):
    c = service.client
    assert c.get("/healthz").status_code == 200
    assert c.get("/openapi.json").status_code == 200
    assert c.get("/metrics").status_code == 200
    for method, path in [
        ("get", "/api/v1/items"),
        ("post", "/api/v1/items"),
        ("get", "/api/v1/trends"),
        ("get", "/api/v1/review/queue"),
        ("post", "/api/v1/classify"),
        ("get", "/api/v1/sources"),
    ]:
        r = getattr(c, method)(path)
        assert r.status_code == 401, path
        assert r.json()["error"] == "unauthorized"
    r = c.get("/api/v1/items", headers={"Authorization": "Bearer nzr_not-a-real-key"})
    assert r.status_code == 401


ROLE_CAN = {
    # (method, path, body) -> roles allowed
    ("post", "/api/v1/items", "ingest_body"): {"admin", "ingest"},
    ("get", "/api/v1/items", None): {"admin", "analyst", "reviewer"},
    ("get", "/api/v1/review/queue", None): {"admin", "reviewer"},
    ("get", "/api/v1/trends", None): {"admin", "analyst"},
    ("post", "/api/v1/classify", "classify_body"): {"admin", "analyst", "reviewer"},
    ("get", "/api/v1/sources", None): {"admin", "analyst", "ingest"},
    ("post", "/api/v1/sources", "source_body"): {"admin"},
    ("get", "/api/v1/alerts", None): {"admin", "analyst"},
    ("post", "/api/v1/alerts/rules", "rule_body"): {"admin"},
}
BODIES = {
    "ingest_body": {"source": "roles", "items": [{"external_id": "r1", "text": NEWS}]},
    "classify_body": {"text": NEWS},
    "source_body": {"name": "new-source", "kind": "push"},
    "rule_body": {"name": "rule", "margin": 0.1},
}


def test_each_role_can_do_only_its_own_things(service):
    for (method, path, body_name), allowed in ROLE_CAN.items():
        for role in ("admin", "analyst", "reviewer", "ingest"):
            kwargs = {"json": BODIES[body_name]} if body_name else {}
            r = getattr(service.client, method)(path, headers=service.as_(role), **kwargs)
            if role in allowed:
                assert r.status_code in (200, 201, 409), (role, path, r.text)
            else:
                assert r.status_code == 403, (role, path, r.status_code)
                assert r.json()["error"] == "forbidden"


def test_ingest_is_idempotent_and_scores_with_the_model_version(service):
    items = [
        {
            "external_id": "a",
            "text": PROPAGANDA,
            "published_at": "2026-11-02T10:00:00Z",
            "channel": "x",
        },
        {"external_id": "b", "text": NEWS},
        {"external_id": "b", "text": NEWS},  # repeated inside the batch
        {"external_id": "c"},  # no text: stored, reported, never dropped
    ]
    assert service.post_items(items).json() == {"accepted": 3, "duplicates": 1, "errors": 1}
    assert service.post_items(items[:2]).json() == {"accepted": 0, "duplicates": 2, "errors": 0}
    service.wait_scored()
    listing = service.client.get("/api/v1/items?source=src", headers=service.as_("analyst")).json()
    assert listing["total"] == 3
    by_ext = {it["external_id"]: it for it in listing["items"]}
    assert by_ext["a"]["label"] == "violent_extremist" and by_ext["a"]["flagged"] is True
    assert by_ext["a"]["model"].startswith("nazar-")
    assert by_ext["a"]["metadata"] == {"channel": "x"}
    assert by_ext["b"]["label"] == "news" and by_ext["b"]["flagged"] is False
    assert by_ext["c"]["state"] == "error" and by_ext["c"]["error"] == "no text"
    detail = service.client.get(
        f"/api/v1/items/{by_ext['a']['id']}", headers=service.as_("reviewer")
    ).json()
    assert detail["verdicts"] == 1
    spans = [PROPAGANDA[e["start"] : e["end"]] for e in detail["evidence"]]
    assert spans == [e["text"] for e in detail["evidence"]] and spans


def test_review_decisions_change_the_final_label_and_are_audited(service):
    service.post_items(
        [{"external_id": "p", "text": PROPAGANDA}, {"external_id": "q", "text": ARABIC}]
    )
    service.wait_scored()
    queue = service.client.get("/api/v1/review/queue", headers=service.as_("reviewer")).json()
    assert queue["total"] >= 1
    item_id = queue["items"][0]["id"]
    r = service.client.post(
        f"/api/v1/review/{item_id}",
        json={"action": "reject", "label": "news", "note": "a report"},
        headers=service.as_("reviewer"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["decision"]["label_before"] == "violent_extremist"
    assert r.json()["item"]["final_label"] == "news"
    r = service.client.post(
        f"/api/v1/review/{item_id}",
        json={"action": "relabel", "label": "counter_narrative"},
        headers=service.as_("admin"),
    )
    detail = service.client.get(f"/api/v1/items/{item_id}", headers=service.as_("analyst")).json()
    assert [(d["action"], d["label_before"], d["label_after"]) for d in detail["reviews"]] == [
        ("reject", "violent_extremist", "news"),
        ("relabel", "news", "counter_narrative"),
    ]
    assert detail["reviews"][0]["reviewer"] == "reviewer-key"
    queue_after = service.client.get("/api/v1/review/queue", headers=service.as_("reviewer")).json()
    assert item_id not in [it["id"] for it in queue_after["items"]]
    bad = service.client.post(
        f"/api/v1/review/{item_id}",
        json={"action": "relabel", "label": "nonsense"},
        headers=service.as_("reviewer"),
    )
    assert bad.status_code == 422 and "unknown label" in bad.json()["detail"]


def test_trends_count_shares_per_day_with_wilson_intervals(service):
    items = [
        {
            "external_id": f"p{i}",
            "text": PROPAGANDA + f" #{i}",
            "published_at": "2026-11-02T09:00:00Z",
        }
        for i in range(3)
    ]
    items += [
        {"external_id": f"n{i}", "text": NEWS + f" ({i})", "published_at": "2026-11-02T12:00:00Z"}
        for i in range(5)
    ]
    items += [{"external_id": "late", "text": NEWS, "published_at": "2026-11-09T12:00:00Z"}]
    service.post_items(items, source="t1")
    service.wait_scored()
    r = service.client.get(
        "/api/v1/trends?group_by=source&interval=day&source=t1", headers=service.as_("analyst")
    )
    points = {(p["bucket"], p["group"]): p for p in r.json()["points"]}
    day = points[("2026-11-02", "t1")]
    assert (day["count"], day["positive"], day["total"]) == (8, 3, 8)
    assert day["share"] == pytest.approx(3 / 8)
    assert day["ci_low"] == pytest.approx(0.1368, abs=1e-3) and day["ci_high"] == pytest.approx(
        0.6943, abs=1e-3
    )
    weekly = service.client.get(
        "/api/v1/trends?group_by=label&interval=week&source=t1", headers=service.as_("analyst")
    ).json()
    week = {(p["bucket"], p["group"]): p["count"] for p in weekly["points"]}
    assert week[("2026-11-02", "violent_extremist")] == 3  # 2 Nov 2026 is a Monday
    assert week[("2026-11-09", "news")] == 1
    ranged = service.client.get(
        "/api/v1/trends?from=2026-11-05T00:00:00Z&source=t1", headers=service.as_("analyst")
    ).json()
    assert [p["bucket"] for p in ranged["points"]] == ["2026-11-09"]


@pytest.mark.parametrize(
    "body, status",
    [
        ({"source": "s", "items": []}, 422),
        ({"source": "s", "items": [{"text": "no id"}]}, 422),
        ({"items": [{"external_id": "1", "text": "x"}]}, 422),
        ({"source": "s", "items": [{"external_id": "1", "text": "x"}] * 1001}, 422),
        (
            {
                "source": "s",
                "items": [{"external_id": "1", "text": "x", "published_at": "not a date"}],
            },
            422,
        ),
        ({"source": "s", "items": "nope"}, 422),
    ],
)
def test_bad_ingest_requests_get_clear_json_errors(service, body, status):
    r = service.client.post("/api/v1/items", json=body, headers=service.as_("ingest"))
    assert r.status_code == status
    assert r.json()["error"] == "invalid_request" and r.json()["detail"]


def test_malformed_json_oversized_bodies_and_unknown_items(service):
    r = service.client.post(
        "/api/v1/items",
        content=b'{"source": "s", "items": [',
        headers={**service.as_("ingest"), "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"
    big = (
        b'{"source": "s", "items": [{"external_id": "1", "text": "'
        + b"x" * (17 * 1024 * 1024)
        + b'"}]}'
    )
    r = service.client.post(
        "/api/v1/items",
        content=big,
        headers={**service.as_("ingest"), "Content-Type": "application/json"},
    )
    assert r.status_code == 413 and r.json()["error"] == "request_too_large"
    r = service.client.get("/api/v1/items/999999", headers=service.as_("analyst"))
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = service.client.post("/api/v1/classify", json={}, headers=service.as_("analyst"))
    assert r.status_code == 422


def test_classify_scores_without_storing(service):
    r = service.client.post(
        "/api/v1/classify", json={"texts": [PROPAGANDA, NEWS]}, headers=service.as_("analyst")
    )
    results = r.json()["results"]
    assert [x["label"] for x in results] == ["violent_extremist", "news"]
    assert service.client.get("/api/v1/items", headers=service.as_("analyst")).json()["total"] == 0


def test_metrics_expose_aggregates_only(service):
    service.post_items([{"external_id": "m", "text": PROPAGANDA, "author": "someone_private"}])
    text = service.client.get("/metrics").text
    assert "nazar_http_requests_total" in text
    assert "someone_private" not in text and "Khilafah" not in text


def test_stored_items_carry_bank_matches_as_evidence(service):
    from nazar.match.banks import add_items, create_bank

    with service.client.app.state.nazar.sessions() as session:
        bank = create_bank(session, "known-propaganda")
        add_items(session, bank, [{"id": "k1", "text": PROPAGANDA}], added_by="test")
        session.commit()
    copy = "RT @someone: " + PROPAGANDA.replace("Khilafah", "Khilaf​ah") + " https://t.co/x"
    service.post_items(
        [{"external_id": "copy", "text": copy}, {"external_id": "other", "text": NEWS}]
    )
    service.wait_scored()
    items = service.client.get("/api/v1/items?source=src", headers=service.as_("analyst")).json()[
        "items"
    ]
    by_ext = {it["external_id"]: it["id"] for it in items}
    detail = service.client.get(
        f"/api/v1/items/{by_ext['copy']}", headers=service.as_("analyst")
    ).json()
    assert [(m["bank"], m["item_id"], m["method"]) for m in detail["matches"]] == [
        ("known-propaganda", "k1", "exact")  # the same text once prefix, URL and tricks go
    ]
    assert any("matches bank known-propaganda item k1" in e["why"] for e in detail["evidence"])
    other = service.client.get(
        f"/api/v1/items/{by_ext['other']}", headers=service.as_("analyst")
    ).json()
    assert other["matches"] == []
