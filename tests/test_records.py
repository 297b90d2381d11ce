"""Reading user input: every record kept, problems named with file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nazar.records import InputError, ReadOptions, RecordReader


def read(path: Path, **opts) -> tuple[list, RecordReader]:
    reader = RecordReader(ReadOptions(**opts), warn=lambda _m: None)
    return list(reader.read([str(path)])), reader


def test_jsonl_keeps_unused_fields_and_ids(tmp_path: Path) -> None:
    f = tmp_path / "in.jsonl"
    f.write_text('{"id": 7, "text": "hello", "user": "u1"}\n{"text": "no id"}\n', "utf-8")
    items, reader = read(f)
    assert [i.id for i in items] == ["7", "in.jsonl:2"]
    assert items[0].input == {"user": "u1"}
    assert reader.report.errors == 0


def test_broken_json_and_missing_text_become_error_records(tmp_path: Path) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_text(
        '{"id": "a", "text": "ok"}\n{"id": "b", "text": \n\n{"id": "c"}\n[1, 2]\n', "utf-8"
    )
    messages: list[str] = []
    reader = RecordReader(warn=messages.append)
    items = list(reader.read([str(f)]))
    assert [i.id for i in items] == ["a", "bad.jsonl:2", "c", "bad.jsonl:5"]
    assert items[0].error is None
    assert "invalid JSON" in items[1].error
    assert "no text field" in items[2].error and "--text-field" in items[2].error
    assert "not a record" in items[3].error
    assert reader.report.errors == 3 and reader.report.blank_lines == 1
    assert any(m.startswith(f"{f}:2:") for m in messages)


def test_invalid_utf8_is_replaced_with_a_warning(tmp_path: Path) -> None:
    f = tmp_path / "latin1.txt"
    f.write_bytes(b"caf\xe9 au lait\nsecond line\n")
    items, reader = read(f)
    assert len(items) == 2
    assert items[0].text == "caf\ufffd au lait"
    assert "invalid UTF-8" in items[0].warnings[0]
    assert reader.report.warnings == 1


def test_huge_text_is_truncated_not_dropped(tmp_path: Path) -> None:
    f = tmp_path / "big.jsonl"
    f.write_text(json.dumps({"id": "x", "text": "a" * 200_000}) + "\n", "utf-8")
    items, _ = read(f, max_chars=1000)
    assert len(items[0].text) == 1000
    assert "truncated" in items[0].warnings[0]


def test_csv_rows_with_wrong_width_are_errors(tmp_path: Path) -> None:
    f = tmp_path / "in.csv"
    f.write_text('id,message,extra\n1,"hello, world",x\n2,only two\n3,"multi\nline",y\n', "utf-8")
    items, _ = read(f)
    assert [i.id for i in items] == ["1", "in.csv:3", "3"]
    assert items[0].text == "hello, world" and items[0].input == {"extra": "x"}
    assert "fields" in items[1].error
    assert items[2].text == "multi\nline"


def test_text_field_option_and_auto_format_from_content(tmp_path: Path) -> None:
    f = tmp_path / "noext"
    f.write_text('{"uid": "u", "body2": "hi"}\n', "utf-8")
    items, _ = read(f, text_field="body2", id_field="uid")
    assert items[0].id == "u" and items[0].text == "hi"


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot open"):
        read(tmp_path / "nope.jsonl")
