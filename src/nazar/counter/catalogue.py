"""The counter-narrative catalogue: one ``CounterItem`` per piece of credible material.

Items are plain dataclasses (the database tables and the HTTP API are built on top of this
type), read from and written to JSONL or CSV. Validation reports every problem of every
record with its line number, because catalogues are edited by hand by people who need to
know exactly what to fix.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from importlib import resources
from pathlib import Path
from typing import IO, Any

from nazar.types import LANGUAGES, THEMES

KINDS: tuple[str, ...] = ("video", "article", "sermon", "testimony", "helpline", "campaign")
REVIEW_STATUSES: tuple[str, ...] = ("draft", "approved", "retired")
# CSV cells hold lists as ``a;b`` (a comma would clash with the delimiter in hand-made files).
LIST_SEPARATOR = ";"
STARTER_FILE = "starter_catalogue.jsonl"


@dataclass
class CounterItem:
    """One piece of counter-narrative material and the narratives (themes) it answers."""

    item_id: str
    title: str
    kind: str
    langs: list[str]
    themes: list[str]
    audience: str | None = None
    summary: str = ""
    url: str | None = None
    local_file: str | None = None
    source_org: str | None = None
    date: str | None = None  # ISO 8601 date of publication
    # New material is a draft until someone reviews it; only approved items are suggested.
    review_status: str = "draft"
    # True for the illustrative entries written for Nazar, so nobody mistakes them for real ones.
    example: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> CounterItem:
        """Build an item from a record, raising ``CatalogueError`` listing every problem."""
        errors = validate_record(record)
        if errors:
            name = record.get("item_id") if isinstance(record, dict) else None
            raise CatalogueError([f"item {name!r}: {e}" if name else e for e in errors])
        return cls(**{f.name: record[f.name] for f in fields(cls) if f.name in record})

    def validate(self) -> list[str]:
        """Problems with this item (empty when it is valid)."""
        return validate_record(self.to_dict())


class CatalogueError(ValueError):
    """A catalogue that cannot be used as it is; ``errors`` holds one message per problem."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        shown = "; ".join(self.errors[:5])
        more = f" (and {len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
        super().__init__(shown + more)


_FIELDS = {f.name: f for f in fields(CounterItem)}
_REQUIRED = ("item_id", "title", "kind", "langs", "themes", "summary")
_OPTIONAL_STR = ("audience", "url", "local_file", "source_org", "date")


def _check_list(value: Any, name: str, allowed: tuple[str, ...]) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return [f"{name} must be a list of strings, got {value!r}"]
    if not value:
        return [f"{name} must not be empty (one or more of: {', '.join(allowed)})"]
    errors = [f"unknown {name[:-1]} {v!r} (expected one of: {', '.join(allowed)})" for v in value]
    errors = [e for e, v in zip(errors, value, strict=True) if v not in allowed]
    if len(set(value)) != len(value):
        errors.append(f"{name} lists a value twice: {value!r}")
    return errors


def validate_record(record: Any) -> list[str]:
    """Every problem with one catalogue record (a dict as read from JSONL or CSV)."""
    if not isinstance(record, dict):
        return [f"a record must be a JSON object, got {type(record).__name__}"]
    errors: list[str] = []
    unknown = sorted(set(record) - set(_FIELDS))
    if unknown:
        errors.append(f"unknown field(s) {', '.join(unknown)} (a typo?)")
    for name in _REQUIRED:
        if name not in record or record[name] in (None, "", []):
            errors.append(f"missing {name}")
    item_id = record.get("item_id")
    if item_id not in (None, "") and (
        not isinstance(item_id, str) or item_id != item_id.strip() or " " in item_id
    ):
        errors.append(f"item_id must be a string without spaces, got {item_id!r}")
    for name in ("title", "summary"):
        value = record.get(name)
        if value not in (None, "") and (not isinstance(value, str) or not value.strip()):
            errors.append(f"{name} must be non-blank text")
    kind = record.get("kind")
    if kind not in (None, "") and kind not in KINDS:
        errors.append(f"unknown kind {kind!r} (expected one of: {', '.join(KINDS)})")
    for name, allowed in (("langs", LANGUAGES), ("themes", THEMES)):
        if record.get(name) not in (None, "", []):
            errors.extend(_check_list(record[name], name, allowed))
    for name in _OPTIONAL_STR:
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            errors.append(f"{name} must be text or null, got {value!r}")
    url = record.get("url")
    if isinstance(url, str) and not url.startswith(("http://", "https://")):
        errors.append(f"url must start with http:// or https://, got {url!r}")
    date = record.get("date")
    if isinstance(date, str):
        try:
            dt.date.fromisoformat(date)
        except ValueError:
            errors.append(f"date must be an ISO date (YYYY-MM-DD), got {date!r}")
    status = record.get("review_status", "draft")
    if status not in REVIEW_STATUSES:
        errors.append(
            f"unknown review_status {status!r} (expected one of: {', '.join(REVIEW_STATUSES)})"
        )
    if not isinstance(record.get("example", False), bool):
        errors.append(f"example must be true or false, got {record['example']!r}")
    return errors


# -- reading ---------------------------------------------------------------------------------
def _check_all(
    records: Iterable[tuple[int, Any]], name: str
) -> tuple[list[CounterItem], list[str]]:
    items: list[CounterItem] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for lineno, record in records:
        problems = [record.message] if isinstance(record, _BadLine) else validate_record(record)
        if problems:
            errors.extend(f"{name}:{lineno}: {p}" for p in problems)
            continue
        item = CounterItem(**record)
        if item.item_id in seen:
            errors.append(
                f"{name}:{lineno}: duplicate item_id {item.item_id!r} "
                f"(first on line {seen[item.item_id]})"
            )
            continue
        seen[item.item_id] = lineno
        items.append(item)
    return items, errors


@dataclass(frozen=True)
class _BadLine:
    """A line that is not a record at all (broken JSON), reported with its line number."""

    message: str


def _jsonl_records(path: str | Path) -> Iterator[tuple[int, Any]]:
    with open(path, encoding="utf-8-sig") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as exc:
                yield lineno, _BadLine(f"invalid JSON: {exc.msg}")


def _csv_value(name: str, cell: str) -> Any:
    cell = cell.strip()
    if name in ("langs", "themes"):
        return [v.strip() for v in cell.split(LIST_SEPARATOR) if v.strip()]
    if name == "example":
        low = cell.lower()
        if low in ("true", "1", "yes"):
            return True
        if low in ("false", "0", "no", ""):
            return False
        return cell  # validation reports it
    if name in _OPTIONAL_STR:
        return cell or None
    return cell


def _csv_records(path: str | Path) -> Iterator[tuple[int, Any]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        for row in reader:
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue
            extra = row.pop(None, None)  # type: ignore[call-overload]
            record: dict[str, Any] = {
                k: _csv_value(k, v or "") for k, v in row.items() if k is not None
            }
            # An empty review_status cell means the default, as a missing JSON field does.
            if record.get("review_status") == "":
                record.pop("review_status")
            if extra:
                record["(extra cells)"] = extra
            yield reader.line_num, record


def check_catalogue(path: str | Path) -> tuple[list[CounterItem], list[str]]:
    """Read a catalogue file (JSONL, or CSV by extension): the valid items and every error.

    Errors are ``file:line: message``; records with errors are left out of the items.
    """
    path = Path(path)
    records = _csv_records(path) if path.suffix.lower() == ".csv" else _jsonl_records(path)
    return _check_all(records, path.name)


def _load(path: str | Path, fmt: str) -> list[CounterItem]:
    path = Path(path)
    records = _csv_records(path) if fmt == "csv" else _jsonl_records(path)
    items, errors = _check_all(records, path.name)
    if errors:
        raise CatalogueError(errors)
    return items


def load_catalogue_jsonl(path: str | Path) -> list[CounterItem]:
    """All items of a JSONL catalogue; ``CatalogueError`` lists every problem if any."""
    return _load(path, "jsonl")


def load_catalogue_csv(path: str | Path) -> list[CounterItem]:
    """All items of a CSV catalogue (lists as ``a;b``); ``CatalogueError`` if any problem."""
    return _load(path, "csv")


def load_catalogue(path: str | Path) -> list[CounterItem]:
    """A catalogue file, CSV when its name ends in ``.csv``, JSONL otherwise."""
    if Path(path).suffix.lower() == ".csv":
        return load_catalogue_csv(path)
    return load_catalogue_jsonl(path)


def starter_catalogue() -> list[CounterItem]:
    """The example catalogue shipped with Nazar (every theme in ar, ru, kk and en).

    Its entries are illustrations written for the project (``example`` is true, no URLs):
    a starting point to be replaced by an organisation's own reviewed material.
    """
    ref = resources.files("nazar.counter") / "data" / STARTER_FILE
    with resources.as_file(ref) as path:
        return load_catalogue_jsonl(path)


# -- writing ---------------------------------------------------------------------------------
def _open_for_write(target: str | Path | IO[str]) -> tuple[IO[str], bool]:
    if isinstance(target, str | Path):
        return open(target, "w", encoding="utf-8", newline=""), True
    return target, False


def dump_jsonl(items: Iterable[CounterItem], target: str | Path | IO[str]) -> int:
    """Write items as JSONL (one object per line, UTF-8 unescaped); returns how many."""
    out, close = _open_for_write(target)
    n = 0
    try:
        for item in items:
            out.write(json.dumps(item.to_dict(), ensure_ascii=False) + "\n")
            n += 1
    finally:
        if close:
            out.close()
    return n


def _csv_cell(value: Any) -> str:
    if isinstance(value, list):
        return LIST_SEPARATOR.join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def dump_csv(items: Iterable[CounterItem], target: str | Path | IO[str]) -> int:
    """Write items as CSV with a header (lists as ``a;b``, null as empty); returns how many."""
    out, close = _open_for_write(target)
    n = 0
    try:
        writer = csv.writer(out)
        writer.writerow(list(_FIELDS))
        for item in items:
            writer.writerow([_csv_cell(v) for v in item.to_dict().values()])
            n += 1
    finally:
        if close:
            out.close()
    return n


__all__ = [
    "KINDS",
    "REVIEW_STATUSES",
    "CatalogueError",
    "CounterItem",
    "check_catalogue",
    "dump_csv",
    "dump_jsonl",
    "load_catalogue",
    "load_catalogue_csv",
    "load_catalogue_jsonl",
    "starter_catalogue",
    "validate_record",
]
