"""`nazar embed` end to end: JSONL and .npy output, bad records kept, cache used."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from nazar.cli import main

LINES = [
    json.dumps({"id": "en1", "text": "The army attacked the city yesterday."}),
    json.dumps({"id": "empty", "text": "   "}),
    "{not json",
    json.dumps({"id": "ru1", "text": "Армия вчера атаковала город."}),
]


def write_input(tmp_path: Path) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    return path


def test_jsonl_output_keeps_every_record(tmp_path: Path, isolated_home: Path) -> None:
    src, out = write_input(tmp_path), tmp_path / "out.jsonl"
    assert main(["embed", str(src), "-o", str(out)]) == 1  # some records had errors
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["en1", "empty", "in.jsonl:3", "ru1"]
    assert "vector" not in rows[1] and rows[1]["error"]
    assert "vector" not in rows[2] and "JSON" in rows[2]["error"]
    v = np.array([rows[0]["vector"], rows[3]["vector"]])
    assert v.shape == (2, 384) and np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert rows[0]["lang"] == "en" and rows[3]["lang"] == "ru"
    assert v[0] @ v[1] > 0.85  # a translation pair
    caches = list((isolated_home / "cache").glob("embeddings-*.sqlite"))
    assert len(caches) == 1


def test_npy_output_with_ids(tmp_path: Path) -> None:
    src, out = write_input(tmp_path), tmp_path / "vecs.npy"
    assert main(["embed", str(src), "-o", str(out), "--output-format", "npy", "--no-cache"]) == 1
    matrix = np.load(out)
    ids = [json.loads(x) for x in (tmp_path / "vecs.ids.jsonl").read_text().splitlines()]
    assert matrix.shape == (4, 384) and matrix.dtype == np.float32
    assert [r["row"] for r in ids] == [0, 1, 2, 3]
    assert "error" in ids[1] and not matrix[1].any()
    assert abs(float(np.linalg.norm(matrix[3])) - 1.0) < 1e-4


def test_npy_needs_an_output_file(tmp_path: Path) -> None:
    assert main(["embed", str(write_input(tmp_path)), "--output-format", "npy"]) == 2


def test_all_good_records_exit_zero(tmp_path: Path) -> None:
    src = tmp_path / "ok.txt"
    src.write_text("first post\nвторой пост\n", encoding="utf-8")
    out = tmp_path / "ok.jsonl"
    assert main(["embed", str(src), "-o", str(out), "--batch-size", "1"]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2
