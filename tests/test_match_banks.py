"""Banks in the database: allow-banks, disabling, thresholds, export/import, retroactive matching."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from nazar.match.api import Match, Matcher, apply_allow
from nazar.match.banks import (
    BankError,
    add_items,
    create_bank,
    ensure_index,
    export_items,
    get_bank,
    parse_threshold,
    set_enabled,
)
from nazar.match.retro import rematch_stored
from nazar.store.db import create_engine, downgrade, migrate, session_factory
from nazar.store.models import Item, Source

FAST = ("exact", "near_duplicate")
PROP = "The soldiers of the caliphate will conquer Rome, join the caravan of the mujahideen now and fight"
VERSE = "Fight in the way of Allah those who fight you but do not transgress, Allah does not like transgressors"
# Propaganda that quotes the verse, then adds its own call.
PROP_QUOTING = VERSE + " so take up arms brothers"
MOSQUE = "Friday reminder: " + VERSE + " (2:190)"


@pytest.fixture
def session(tmp_path: Path):
    engine = create_engine(f"sqlite:///{tmp_path / 'nazar.sqlite3'}")
    migrate(engine)
    s = session_factory(engine)()
    yield s
    s.close()
    engine.dispose()


def test_create_add_and_match(session) -> None:
    bank = create_bank(session, "props")
    res = add_items(
        session,
        bank,
        [
            {
                "id": "p1",
                "text": PROP,
                "labels": ["violent_extremist"],
                "themes": ["call_to_join"],
                "channel": "x",
            },
            {"text": "Бауырлар, халифат сендерді шақырады: үйлеріңді тастап қосылыңдар"},
            {"id": "p1", "text": "duplicate id"},
            {"id": "p3", "text": "  "},
        ],
        added_by="tester",
    )
    assert len(res.added) == 2 and res.duplicates == 1 and res.errors == 1
    session.commit()
    m = Matcher(session, methods=FAST)
    out = m.match(["RT @a: " + PROP + " https://t.co/x", PROP[:70], "nothing like it", None])
    assert [x.item_id for x in out[0].matches] == ["p1"] and out[0].matches[0].method == "exact"
    assert out[1].matches[0].method == "near_duplicate"
    meta = out[1].matches[0].metadata
    assert meta["labels"] == ["violent_extremist"] and meta["channel"] == "x"
    assert out[2].matches == [] and out[3].matches == []
    generated = m.match(["Бауырлар, халифат сендерді шақырады: үйлеріңді тастап қосылыңдар"])
    assert generated[0].matches[0].item_id.startswith("sha256:")
    with pytest.raises(BankError):
        create_bank(session, "props")
    with pytest.raises(BankError):
        get_bank(session, "nope")


def test_allow_bank_suppresses_quoted_verse(session) -> None:
    block = create_bank(session, "props", thresholds={"near_duplicate": 0.7})
    add_items(session, block, [{"id": "q1", "text": PROP_QUOTING}])
    allow = create_bank(session, "quran", kind="allow")
    add_items(session, allow, [{"id": "2:190", "text": VERSE}])
    session.commit()
    m = Matcher(session, methods=FAST)
    mosque, copy = m.match([MOSQUE, "RT @z: " + PROP_QUOTING])
    # The mosque post is closer to the verse than to the propaganda that quoted it.
    assert mosque.matches == []
    assert mosque.suppressed and mosque.suppressed[0][1].item_id == "2:190"
    assert "suppressed" in mosque.to_dict()
    # A copy of the propaganda is closer to the propaganda: still reported.
    assert [x.item_id for x in copy.matches] == ["q1"]
    # Without allow-banks the mosque post would match.
    m2 = Matcher(session, methods=FAST, use_allow=False)
    assert [x.item_id for x in m2.match([MOSQUE])[0].matches] == ["q1"]


def test_apply_allow_rule() -> None:
    def mk(kind: str, method: str, d: float) -> Match:
        return Match("b", kind, f"{kind}-{method}-{d}", 1, method, d)

    # Stronger allow method suppresses; same method suppresses only at <= distance.
    r = apply_allow([mk("block", "semantic", 0.05)], [mk("allow", "near_duplicate", 0.4)])
    assert r.matches == []
    r = apply_allow([mk("block", "near_duplicate", 0.2)], [mk("allow", "near_duplicate", 0.3)])
    assert len(r.matches) == 1
    r = apply_allow([mk("block", "near_duplicate", 0.3)], [mk("allow", "near_duplicate", 0.3)])
    assert r.matches == []
    r = apply_allow([mk("block", "exact", 0.0)], [mk("allow", "near_duplicate", 0.0)])
    assert len(r.matches) == 1


def test_disable_bank_and_item(session) -> None:
    bank = create_bank(session, "props")
    add_items(session, bank, [{"id": "p1", "text": PROP}, {"id": "v1", "text": VERSE}])
    session.commit()
    assert len(Matcher(session, methods=FAST).match([PROP])[0].matches) == 1
    set_enabled(session, bank, False, "p1")
    session.commit()
    assert Matcher(session, methods=FAST).match([PROP])[0].matches == []
    assert len(Matcher(session, methods=FAST).match([VERSE])[0].matches) == 1
    set_enabled(session, bank, True, "p1")
    set_enabled(session, bank, False)
    session.commit()
    m = Matcher(session, methods=FAST)
    assert m.empty and m.match([PROP])[0].matches == []
    with pytest.raises(BankError):
        set_enabled(session, bank, False, "no-such-item")


def test_per_bank_thresholds(session) -> None:
    strict = create_bank(session, "strict", thresholds={"near_duplicate": 0.05})
    loose = create_bank(session, "loose", thresholds={"near_duplicate": 0.6})
    exact_only = create_bank(session, "exact-only", thresholds={"near_duplicate": "off"})
    for b in (strict, loose, exact_only):
        add_items(session, b, [{"id": "p1", "text": PROP}])
    session.commit()
    out = Matcher(session, methods=FAST).match([PROP[:75], PROP])
    assert [x.bank for x in out[0].matches] == ["loose"]
    assert sorted(x.bank for x in out[1].matches) == ["exact-only", "loose", "strict"]
    only = Matcher(session, banks=["strict"], methods=FAST).match([PROP])
    assert [x.bank for x in only[0].matches] == ["strict"]
    assert parse_threshold("semantic=auto") == ("semantic", "auto")
    assert parse_threshold("near-duplicate=0.3") == ("near_duplicate", 0.3)
    for bad in ("near_duplicate=2", "fuzzy=0.1", "exact", "semantic=x"):
        with pytest.raises(BankError):
            parse_threshold(bad)


def test_index_is_updated_when_stale(session) -> None:
    bank = create_bank(session, "props")
    add_items(session, bank, [{"id": "p1", "text": PROP}])
    session.commit()
    first = ensure_index(session, bank)
    assert len(first) == 1 and first.path is not None and first.path.exists()
    add_items(session, bank, [{"id": "v1", "text": VERSE}])
    session.commit()
    second = ensure_index(session, bank)
    assert len(second) == 2 and second.revision == bank.revision
    assert len(Matcher(session, methods=FAST).match([VERSE])[0].matches) == 1


def test_export_import_round_trip(session) -> None:
    bank = create_bank(session, "props", thresholds={"near_duplicate": 0.3}, description="d")
    add_items(
        session,
        bank,
        [
            {
                "id": "p1",
                "text": PROP,
                "labels": ["violent_extremist"],
                "themes": ["takfir"],
                "source": "report-7",
                "extra": 1,
            },
            {"id": "p2", "text": VERSE, "enabled": False},
        ],
        added_by="alice",
    )
    session.commit()
    exported = list(export_items(session, bank))
    assert exported[0]["nazar_bank"]["thresholds"] == {"near_duplicate": 0.3}
    header, *items = exported
    other = create_bank(
        session, "copy", **{k: header["nazar_bank"][k] for k in ("kind", "thresholds")}
    )
    res = add_items(session, other, items)
    session.commit()
    assert len(res.added) == 2
    again = list(export_items(session, other))[1:]
    strip = [{k: v for k, v in r.items()} for r in items]
    assert again == strip
    assert again[0]["metadata"] == {"extra": 1} and again[1]["enabled"] is False


def _store_items(session, texts: list[str]) -> list[int]:
    src = Source(name="feed", kind="file", settings={}, enabled=True)
    session.add(src)
    session.flush()
    rows = [Item(source_id=src.id, external_id=f"e{i}", text=t) for i, t in enumerate(texts)]
    session.add_all(rows)
    session.flush()
    return [r.id for r in rows]


def test_rematch_stored_sqlite_file(session) -> None:
    ids = _store_items(
        session,
        ["RT @a: " + PROP + " 🔥", "unrelated chatter about football", PROP[:80], MOSQUE],
    )
    bank = create_bank(session, "props")
    old = add_items(session, bank, [{"id": "old", "text": "something added long ago, different"}])
    allow = create_bank(session, "quran", kind="allow")
    add_items(session, allow, [{"id": "2:190", "text": VERSE}])
    session.commit()
    assert rematch_stored(session, bank, old.added) == []
    new = add_items(session, bank, [{"id": "p1", "text": PROP}, {"id": "q1", "text": PROP_QUOTING}])
    session.commit()
    hits = rematch_stored(session, "props", new.added)
    got = {(h.item_id, h.bank_item_id, h.method) for h in hits}
    assert got == {(ids[0], "p1", "exact"), (ids[2], "p1", "near_duplicate")}
    assert all(h.bank == "props" and 0 <= h.distance <= 0.5 for h in hits)
    assert hits[0].to_dict()["external_id"] == "e0"


@pytest.fixture
def pg_url():
    psycopg = pytest.importorskip("psycopg")
    admin = "postgresql://postgres@127.0.0.1:5432/test"
    try:
        conn = psycopg.connect(admin, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        pytest.skip("no PostgreSQL server at 127.0.0.1:5432")
    name = "nazar_match_test"
    conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    conn.execute(f"CREATE DATABASE {name}")
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    conn.close()


def test_postgresql_migration_and_matching(pg_url: str) -> None:
    engine = create_engine(pg_url)
    migrate(engine)
    s = session_factory(engine)()
    try:
        ids = _store_items(s, [PROP + " http://t.co/x", "other"])
        bank = create_bank(s, "props", thresholds={"semantic": "off"})
        res = add_items(s, bank, [{"id": "p1", "text": PROP, "themes": ["call_to_join"]}])
        s.commit()
        out = Matcher(s, methods=FAST).match([PROP])
        assert out[0].matches[0].item_id == "p1"
        hits = rematch_stored(s, bank, res.added)
        assert [(h.item_id, h.method) for h in hits] == [(ids[0], "exact")]
    finally:
        s.close()
    downgrade(engine, "0001")
    with engine.connect() as conn:
        tables = conn.execute(text("select tablename from pg_tables where schemaname='public'"))
        names = {r[0] for r in tables}
    assert "banks" not in names and "items" in names
    migrate(engine)
    engine.dispose()
