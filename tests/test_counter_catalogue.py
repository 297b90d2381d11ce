from __future__ import annotations

import json
from pathlib import Path

import pytest

from nazar.counter.catalogue import (
    CatalogueError,
    CounterItem,
    check_catalogue,
    dump_csv,
    dump_jsonl,
    load_catalogue,
    load_catalogue_csv,
    load_catalogue_jsonl,
    starter_catalogue,
    validate_record,
)
from nazar.types import LANGUAGES, THEMES


def _record(**over: object) -> dict[str, object]:
    rec: dict[str, object] = {
        "item_id": "x-1",
        "title": "A returnee speaks",
        "kind": "testimony",
        "langs": ["en"],
        "themes": ["call_to_join"],
        "summary": "What life was really like.",
    }
    rec.update(over)
    return rec


def test_valid_record_has_no_errors_and_defaults_to_draft() -> None:
    assert validate_record(_record()) == []
    item = CounterItem.from_dict(_record())
    assert item.review_status == "draft" and item.example is False and item.url is None


@pytest.mark.parametrize(
    ("over", "needle"),
    [
        ({"themes": ["jihad"]}, "unknown theme 'jihad'"),
        ({"kind": "podcast"}, "unknown kind 'podcast'"),
        ({"langs": ["fr"]}, "unknown lang 'fr'"),
        ({"title": ""}, "missing title"),
        ({"langs": []}, "missing langs"),
        ({"url": "www.example.org"}, "url must start with http"),
        ({"date": "12/03/2020"}, "ISO date"),
        ({"review_status": "published"}, "unknown review_status"),
        ({"example": "yes"}, "example must be true or false"),
        ({"colour": "red"}, "unknown field(s) colour"),
        ({"item_id": "has space"}, "without spaces"),
        ({"themes": "takfir"}, "themes must be a list"),
    ],
)
def test_validation_names_each_problem(over: dict[str, object], needle: str) -> None:
    errors = validate_record(_record(**over))
    assert any(needle in e for e in errors), errors


def test_from_dict_raises_with_all_errors() -> None:
    with pytest.raises(CatalogueError) as info:
        CounterItem.from_dict(_record(kind="podcast", themes=["nope"]))
    assert len(info.value.errors) == 2


def test_load_reports_line_numbers_and_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "cat.jsonl"
    lines = [
        json.dumps(_record()),
        "{not json",
        json.dumps(_record(item_id="x-2", kind="podcast")),
        "",
        json.dumps(_record()),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items, errors = check_catalogue(path)
    assert [i.item_id for i in items] == ["x-1"]
    assert any(e.startswith("cat.jsonl:2: invalid JSON") for e in errors)
    assert any(e.startswith("cat.jsonl:3: unknown kind") for e in errors)
    assert any(e.startswith("cat.jsonl:5: duplicate item_id 'x-1'") for e in errors)
    with pytest.raises(CatalogueError):
        load_catalogue_jsonl(path)


def test_jsonl_and_csv_round_trip(tmp_path: Path) -> None:
    items = starter_catalogue()[:10]
    items[0].url = "https://example.org/a"
    items[0].date = "2021-05-01"
    items[1].review_status = "retired"
    items[2].langs = ["kk", "ru"]
    dump_jsonl(items, tmp_path / "c.jsonl")
    dump_csv(items, tmp_path / "c.csv")
    assert load_catalogue_jsonl(tmp_path / "c.jsonl") == items
    assert load_catalogue_csv(tmp_path / "c.csv") == items
    assert load_catalogue(tmp_path / "c.csv") == items


def test_csv_errors_have_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        "item_id,title,kind,langs,themes,summary\n"
        "a,Title,article,en;ru,takfir,Fine.\n"
        "b,Title,article,en,takfir;nonsense,Bad theme.\n",
        encoding="utf-8",
    )
    items, errors = check_catalogue(path)
    assert [i.langs for i in items] == [["en", "ru"]]
    assert errors == [
        "c.csv:3: unknown theme 'nonsense' (expected one of: " + ", ".join(THEMES) + ")"
    ]


def test_starter_catalogue_covers_every_theme_in_every_language() -> None:
    items = starter_catalogue()
    assert 80 <= len(items) <= 110
    approved = [i for i in items if i.review_status == "approved"]
    for lang in LANGUAGES:
        for theme in THEMES:
            n = sum(1 for i in approved if lang in i.langs and theme in i.themes)
            assert n >= 2, (lang, theme, n)
    # Examples, clearly marked, and no invented links presented as real.
    assert all(i.example and i.url is None for i in items)
    assert all("Example" in (i.source_org or "") for i in items)
    assert {i.review_status for i in items} == {"approved", "draft", "retired"}
    assert all(i.validate() == [] for i in items)
