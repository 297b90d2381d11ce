"""`nazar bank ...`, `nazar match` and the `matches` of `nazar classify`, end to end."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from nazar.cli import main

PROP = "The soldiers of the caliphate will conquer Rome, join the caravan of the mujahideen now and fight"
PROP_RU = "Братья, халифат ждёт вас, совершайте хиджру и присягайте амиру, шахиды в раю!"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def test_bank_cli_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    items = write_jsonl(
        tmp_path / "known.jsonl",
        [
            {"id": "k1", "text": PROP, "labels": ["violent_extremist"], "themes": ["call_to_join"]},
            {"id": "k2", "text": PROP_RU, "source": "report"},
        ],
    )
    assert run(["bank", "create", "props", "--threshold", "near_duplicate=0.5"], capsys)[0] == 0
    code, _, err = run(["bank", "create", "props"], capsys)
    assert code == 2 and "exists" in err
    assert run(["bank", "create", "bad", "--threshold", "fuzzy=1"], capsys)[0] == 2
    code, _, err = run(["bank", "add", "props", str(items)], capsys)
    assert code == 0 and "2 added" in err
    code, _, err = run(["bank", "add", "props", str(items)], capsys)
    assert "0 added, 2 already there" in err
    code, out, _ = run(["bank", "list", "--json"], capsys)
    listed = json.loads(out)
    assert listed[0]["name"] == "props" and listed[0]["items"] == 2

    queries = write_jsonl(
        tmp_path / "q.jsonl",
        [
            {"id": "a", "text": "RT @x: " + PROP + " https://t.co/zzz 🔥"},
            {"id": "b", "text": "Nice weather for a picnic in the park today"},
            {"id": "c", "txt": "no text field"},
            {"id": "d", "text": PROP_RU[:60]},
        ],
    )
    (tmp_path / "q.jsonl").open("a").write("{broken json\n")
    out_file = tmp_path / "out.jsonl"
    code, _, _ = run(
        ["match", str(queries), "--method", "exact", "--method", "near_duplicate",
         "-o", str(out_file)], capsys,
    )  # fmt: skip
    assert code == 1  # some records unreadable
    rows = [json.loads(x) for x in out_file.read_text("utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", "c", "d", "q.jsonl:5"]
    assert rows[0]["matches"][0] == {
        "bank": "props",
        "item_id": "k1",
        "method": "exact",
        "distance": 0.0,
        "metadata": {"labels": ["violent_extremist"], "themes": ["call_to_join"], "lang": "en"},
    }
    assert rows[1]["matches"] == []
    assert "error" in rows[2] and rows[2]["matches"] == []
    assert rows[3]["matches"][0]["item_id"] == "k2"
    assert rows[3]["matches"][0]["method"] == "near_duplicate"
    assert "error" in rows[4]

    # Disable one item, then the bank.
    assert run(["bank", "disable", "props", "k1"], capsys)[0] == 0
    code, out, _ = run(["match", str(queries), "--method", "exact"], capsys)
    assert json.loads(out.splitlines()[0])["matches"] == []
    assert run(["bank", "enable", "props", "k1"], capsys)[0] == 0
    assert run(["bank", "disable", "props", "zzz"], capsys)[0] == 2
    assert run(["bank", "disable", "props"], capsys)[0] == 0
    code, out, err = run(["match", str(queries), "--method", "exact"], capsys)
    assert "no enabled banks" in err
    assert run(["bank", "enable", "props"], capsys)[0] == 0
    assert run(["match", "--bank", "nope", str(queries)], capsys)[0] == 2


def test_export_import_and_hma(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    items = write_jsonl(tmp_path / "k.jsonl", [{"id": "k1", "text": PROP, "themes": ["takfir"]}])
    run(["bank", "create", "props", "--threshold", "semantic=off"], capsys)
    run(["bank", "add", "props", str(items), "--added-by", "alice"], capsys)
    exp = tmp_path / "props.jsonl"
    assert run(["bank", "export", "props", "-o", str(exp)], capsys)[0] == 0
    lines = [json.loads(x) for x in exp.read_text("utf-8").splitlines()]
    assert lines[0]["nazar_bank"]["thresholds"] == {"semantic": "off"}
    assert lines[1]["id"] == "k1" and lines[1]["added_by"] == "alice"
    assert run(["bank", "import", str(exp), "--name", "props2"], capsys)[0] == 0
    exp2 = tmp_path / "props2.jsonl"
    run(["bank", "export", "props2", "-o", str(exp2)], capsys)
    lines2 = [json.loads(x) for x in exp2.read_text("utf-8").splitlines()]
    assert lines2[1:] == lines[1:]
    assert lines2[0]["nazar_bank"]["name"] == "props2"
    # Importing a file that is not an export is refused.
    assert run(["bank", "import", str(items)], capsys)[0] == 2

    hma = tmp_path / "props.csv"
    assert run(["bank", "export", "props", "-o", str(hma), "--format", "hma"], capsys)[0] == 0
    rows = list(csv.reader(hma.open(encoding="utf-8")))
    assert rows[0] == ["signal_type", "signal", "metadata"]
    assert rows[1][0] == "raw_text" and rows[1][1] == PROP
    assert json.loads(rows[1][2])["item_id"] == "k1"


def test_bank_add_recheck(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from nazar.store.db import create_engine, migrate, session_factory
    from nazar.store.models import Item, Source

    engine = create_engine()
    migrate(engine)
    with session_factory(engine)() as s:
        src = Source(name="feed", kind="file", settings={}, enabled=True)
        s.add(src)
        s.flush()
        s.add(Item(source_id=src.id, external_id="post-9", text="RT @q: " + PROP))
        s.add(Item(source_id=src.id, external_id="post-10", text="hello there"))
        s.commit()
    run(["bank", "create", "props"], capsys)
    items = write_jsonl(tmp_path / "k.jsonl", [{"id": "k1", "text": PROP}])
    code, out, err = run(["bank", "add", "props", str(items), "--recheck"], capsys)
    assert code == 0 and "1 stored items match" in err
    hit = json.loads(out)
    assert hit["external_id"] == "post-9" and hit["bank_item_id"] == "k1"


def test_classify_reports_matches(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    posts = write_jsonl(
        tmp_path / "p.jsonl", [{"id": "1", "text": PROP + " 🔥"}, {"id": "2", "text": "hello"}]
    )
    code, out, _ = run(["classify", str(posts), "--workers", "1"], capsys)
    rows = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and [r["matches"] for r in rows] == [[], []]  # no banks yet
    run(["bank", "create", "props"], capsys)
    run(["bank", "add", "props", str(write_jsonl(tmp_path / "k.jsonl",
                                                 [{"id": "k1", "text": PROP}]))], capsys)  # fmt: skip
    code, out, _ = run(["classify", str(posts), "--workers", "1"], capsys)
    rows = [json.loads(x) for x in out.splitlines()]
    assert rows[0]["matches"][0]["item_id"] == "k1"
    why = [e["why"] for e in rows[0]["evidence"]]
    assert "matches bank props item k1 (exact, d=0.00)" in why
    ev = next(e for e in rows[0]["evidence"] if e["why"].startswith("matches bank"))
    assert ev["start"] == 0 and ev["end"] == len(PROP + " 🔥")
    assert rows[1]["matches"] == []
