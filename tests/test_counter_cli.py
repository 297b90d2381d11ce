from __future__ import annotations

import json
from pathlib import Path

import pytest

from nazar.cli import main
from nazar.counter.catalogue import dump_jsonl, starter_catalogue


def test_suggest_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "posts.jsonl"
    rows = [
        {"id": "a", "text": "Брат, соверши хиджру в Халифат, в раю тебя ждут гурии."},
        {"id": "b", "text": "   "},
        {"id": "c", "text": "The apostate police are dogs.", "themes": ["takfir"], "lang": "en"},
    ]
    src.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n{broken\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    rc = main(
        ["counter", "suggest", str(src), "-k", "3", "-o", str(out), "--similarity", "lexical"]
    )
    assert rc == 1  # two records could not be read, and still have their lines
    got = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [g["id"] for g in got] == ["a", "b", "c", "posts.jsonl:4"]
    assert len(got[0]["suggestions"]) == 3 and got[0]["lang"] == "ru"
    assert {"item_id", "title", "lang", "themes", "score", "why"} <= set(got[0]["suggestions"][0])
    assert got[1]["error"] and got[1]["suggestions"] == []
    assert got[2]["themes"] == ["takfir"]  # the record's own themes are used as given
    assert all("takfir" in s["themes"] for s in got[2]["suggestions"])
    assert all(s["lang"] == "en" for s in got[2]["suggestions"])
    assert "error" in got[3]


def test_suggest_with_custom_catalogue(tmp_path: Path) -> None:
    cat = tmp_path / "cat.jsonl"
    items = [i for i in starter_catalogue() if i.item_id.startswith("ex-en-")][:3]
    dump_jsonl(items, cat)
    src = tmp_path / "p.jsonl"
    src.write_text(json.dumps({"id": 1, "text": "x", "themes": [], "lang": "en"}) + "\n")
    out = tmp_path / "o.jsonl"
    args = ["counter", "suggest", str(src), "--catalogue", str(cat), "-o", str(out)]
    assert main([*args, "--similarity", "lexical"]) == 0
    got = json.loads(out.read_text())
    assert {s["item_id"] for s in got["suggestions"]} <= {i.item_id for i in items}


def test_suggest_rejects_a_broken_catalogue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cat = tmp_path / "cat.jsonl"
    cat.write_text(json.dumps({"item_id": "x", "title": "t"}) + "\n")
    src = tmp_path / "p.txt"
    src.write_text("hello\n")
    rc = main(["counter", "suggest", str(src), "--catalogue", str(cat), "--similarity", "lexical"])
    assert rc == 2
    assert "cat.jsonl:1: missing kind" in capsys.readouterr().err


def test_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.jsonl"
    dump_jsonl(starter_catalogue(), good)
    assert main(["counter", "validate", str(good)]) == 0
    bad = tmp_path / "bad.jsonl"
    bad.write_text(good.read_text().replace('"kind": "video"', '"kind": "movie"', 1))
    assert main(["counter", "validate", str(bad)]) == 1
    assert "bad.jsonl:" in capsys.readouterr().out
    assert main(["counter", "validate", str(tmp_path / "missing.jsonl")]) == 2
