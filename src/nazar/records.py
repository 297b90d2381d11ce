"""Reading user records (JSONL, CSV, plain text) and writing JSONL, without losing any.

Every input line that holds a record becomes exactly one ``Item``. A record that cannot be
read well enough to score keeps its place and carries an ``error``; problems are also
reported on stderr with the file name and line number, so the user can act on them.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

from nazar.types import Item

FORMATS = ("auto", "jsonl", "csv", "txt")
# Texts longer than this are truncated (with a warning): a post is never this long, and an
# unbounded text would make memory and time unbounded.
MAX_TEXT_CHARS = 100_000
TEXT_FIELD_CANDIDATES = ("text", "content", "message", "body", "tweet")
ID_FIELD_CANDIDATES = ("id", "external_id", "_id", "uid")
_EXTENSIONS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "txt",
    ".text": "txt",
}


_SURROGATE = re.compile("[\ud800-\udfff]")
# Cells as long as the longest text we accept (and more): csv's default limit is 128 KiB.
csv.field_size_limit(2**31 - 1)


T = TypeVar("T")


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


class InputError(Exception):
    """A problem with the user's input that they must fix (the message says how)."""


@dataclass
class ReadReport:
    """What reading saw, so the CLI can summarise and choose its exit status."""

    records: int = 0
    errors: int = 0
    warnings: int = 0
    blank_lines: int = 0
    messages: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReadOptions:
    format: str = "auto"
    text_field: str | None = None
    id_field: str | None = None
    max_chars: int = MAX_TEXT_CHARS


def detect_format(path: str, first_line: str | None = None) -> str:
    """The format named by the file's extension, else sniffed from its first line."""
    ext = Path(path).suffix.lower()
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    if first_line is not None and first_line.lstrip().startswith("{"):
        return "jsonl"
    return "txt"


def _decode_lines(stream: IO[bytes]) -> Iterator[tuple[int, str, str | None]]:
    """Yield (line number, text, warning) with invalid UTF-8 replaced rather than fatal."""
    for lineno, raw in enumerate(stream, 1):
        try:
            line = raw.decode("utf-8")
            warning = None
        except UnicodeDecodeError as exc:
            line = raw.decode("utf-8", errors="replace")
            warning = f"invalid UTF-8 at byte {exc.start} replaced with U+FFFD"
        if lineno == 1 and line.startswith("\ufeff"):
            line = line[1:]  # a BOM is not part of the first record
        yield lineno, line.rstrip("\r\n"), warning


class RecordReader:
    """Streams ``Item``s from files (or ``-`` for stdin), keeping a ``ReadReport``."""

    def __init__(self, options: ReadOptions | None = None, warn: Any = None) -> None:
        self.options = options or ReadOptions()
        self.report = ReadReport()
        self._warn = warn or (lambda msg: print(msg, file=sys.stderr))

    # -- public -----------------------------------------------------------------
    def read(self, paths: Iterable[str]) -> Iterator[Item]:
        paths = list(paths) or ["-"]
        for path in paths:
            yield from self._read_one(path)

    # -- internals --------------------------------------------------------------
    def _read_one(self, path: str) -> Iterator[Item]:
        name = "stdin" if path == "-" else path
        if path == "-":
            stream: IO[bytes] = sys.stdin.buffer
        else:
            try:
                stream = open(path, "rb")  # noqa: SIM115 - closed in finally below
            except OSError as exc:
                raise InputError(f"cannot open {path}: {exc.strerror}") from exc
        try:
            lines = _decode_lines(stream)
            fmt = self.options.format
            if fmt == "auto":
                lines, first = _peek_first_nonblank(lines)
                fmt = detect_format(path if path != "-" else "", first)
            if fmt == "jsonl":
                yield from self._jsonl(name, lines)
            elif fmt == "csv":
                delimiter = "\t" if path.lower().endswith(".tsv") else ","
                yield from self._csv(name, lines, delimiter)
            elif fmt == "txt":
                yield from self._txt(name, lines)
            else:
                raise InputError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
        finally:
            if path != "-":
                stream.close()

    def _message(self, name: str, lineno: int, text: str) -> None:
        msg = f"{name}:{lineno}: {text}"
        self.report.messages.append(msg)
        self._warn(msg)

    def _make_item(
        self,
        name: str,
        lineno: int,
        record: dict[str, Any] | None,
        text: Any,
        id_value: Any,
        warning: str | None,
        error: str | None = None,
        unused: dict[str, Any] | None = None,
    ) -> Item:
        item_id = str(id_value) if id_value not in (None, "") else f"{Path(name).name}:{lineno}"
        warnings: list[str] = []
        if warning:
            warnings.append(warning)
        if error is None:
            if text is None:
                fields = ", ".join(sorted(record)) if record else "none"
                error = (
                    "record has no text field "
                    f"(looked for {self._text_fields_desc()}; fields present: {fields}; "
                    "use --text-field)"
                )
            elif not isinstance(text, str):
                error = f"text field is {type(text).__name__}, not a string"
                text = None
            elif not text.strip():
                error = "text is empty"
        if error is None and _SURROGATE.search(text):
            # Half of an emoji pair cut off by some exporter: not text, and not encodable.
            text = _SURROGATE.sub("\ufffd", text)
            warnings.append("unpaired surrogate code points replaced with U+FFFD")
        if error is None and len(text) > self.options.max_chars:
            warnings.append(
                f"text of {len(text):,} characters truncated to {self.options.max_chars:,}"
            )
            text = text[: self.options.max_chars]
        for w in warnings:
            self._message(name, lineno, w)
        if error:
            self._message(name, lineno, f"error: {error}")
            self.report.errors += 1
        self.report.warnings += len(warnings)
        self.report.records += 1
        return Item(
            id=item_id,
            text=text if error is None else None,
            input=unused or {},
            error=error,
            warnings=warnings,
        )

    def _text_fields_desc(self) -> str:
        if self.options.text_field:
            return repr(self.options.text_field)
        return "/".join(TEXT_FIELD_CANDIDATES)

    def _split_record(self, record: dict[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
        text_key = self.options.text_field or next(
            (k for k in TEXT_FIELD_CANDIDATES if k in record), None
        )
        id_key = self.options.id_field or next(
            (k for k in ID_FIELD_CANDIDATES if k in record), None
        )
        text = record.get(text_key) if text_key else None
        id_value = record.get(id_key) if id_key else None
        unused = {k: v for k, v in record.items() if k not in (text_key, id_key)}
        return text, id_value, unused

    def _jsonl(self, name: str, lines: Iterable[tuple[int, str, str | None]]) -> Iterator[Item]:
        for lineno, line, warning in lines:
            if not line.strip():
                self.report.blank_lines += 1
                continue
            try:
                record = json.loads(line, parse_constant=_reject_constant)
            except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
                msg = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
                yield self._make_item(
                    name, lineno, None, None, None, warning, error=f"invalid JSON: {msg}"
                )
                continue
            if not isinstance(record, dict):
                yield self._make_item(
                    name,
                    lineno,
                    None,
                    None,
                    None,
                    warning,
                    error=f"a JSON {type(record).__name__} is not a record (expected an object)",
                )
                continue
            text, id_value, unused = self._split_record(record)
            yield self._make_item(name, lineno, record, text, id_value, warning, unused=unused)

    def _csv(
        self, name: str, lines: Iterable[tuple[int, str, str | None]], delimiter: str
    ) -> Iterator[Item]:
        # csv needs a plain iterator of strings; keep each physical line's warning aside.
        warnings: dict[int, str] = {}

        def text_lines() -> Iterator[str]:
            for lineno, line, warning in lines:
                if warning:
                    warnings[lineno] = warning
                yield line.replace("\0", "") + "\n"

        # strict: an unterminated quote is an error, not a field that swallows the file.
        reader = csv.reader(text_lines(), delimiter=delimiter, strict=True)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(f"{name}:1: cannot read the CSV header: {exc}") from exc
        header = [h.strip() for h in header]
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                lineno = reader.line_num
                yield self._make_item(
                    name, lineno, None, None, None, None, error=f"broken CSV row: {exc}"
                )
                continue
            lineno = reader.line_num
            if not any(cell.strip() for cell in row):
                self.report.blank_lines += 1
                continue
            if len(row) != len(header):
                yield self._make_item(
                    name,
                    lineno,
                    None,
                    None,
                    None,
                    warnings.get(lineno),
                    error=f"CSV row has {len(row)} fields, the header has {len(header)}",
                    unused={"row": row},
                )
                continue
            record = dict(zip(header, row, strict=True))
            text, id_value, unused = self._split_record(record)
            yield self._make_item(
                name, lineno, record, text, id_value, warnings.get(lineno), unused=unused
            )

    def _txt(self, name: str, lines: Iterable[tuple[int, str, str | None]]) -> Iterator[Item]:
        for lineno, line, warning in lines:
            if not line.strip():
                self.report.blank_lines += 1
                continue
            yield self._make_item(name, lineno, {"text": line}, line, None, warning)


def _peek_first_nonblank(
    lines: Iterator[tuple[int, str, str | None]],
) -> tuple[Iterator[tuple[int, str, str | None]], str | None]:
    """Look at the first non-blank line without consuming it."""
    buffered: list[tuple[int, str, str | None]] = []
    first = None
    for entry in lines:
        buffered.append(entry)
        if entry[1].strip():
            first = entry[1]
            break

    def chained() -> Iterator[tuple[int, str, str | None]]:
        yield from buffered
        yield from lines

    return chained(), first


def open_output(path: str | None, inputs: list[str] | None = None) -> IO[str]:
    """stdout for ``None``/``-``, else the file (parent folders created).

    Refuses to write over one of the inputs: opening it for writing would empty it before it
    is read. Characters that cannot be encoded are replaced rather than fatal.
    """
    if path in (None, "-"):
        if hasattr(sys.stdout, "reconfigure"):
            sys.stdout.reconfigure(errors="replace")
        return sys.stdout
    target = Path(path)
    for source in inputs or []:
        same = source != "-" and target.exists() and Path(source).exists()
        if same and target.resolve() == Path(source).resolve():
            raise InputError(f"output {path} is also an input: choose another -o file")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return open(target, "w", encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from exc


def write_jsonl(stream: IO[str], rows: Iterable[dict[str, Any]]) -> int:
    n = 0
    for row in rows:
        stream.write(json.dumps(row, ensure_ascii=False))
        stream.write("\n")
        n += 1
    return n


def read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    """Read a JSONL file of whole records; a broken line is an ``InputError`` naming it."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"{path}:{lineno}: invalid JSON: {exc.msg}") from exc


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of ``size`` items (the last may be shorter), read lazily."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
