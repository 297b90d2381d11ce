"""A small pull parser for walking one big JSON document without loading all of it.

Telegram Desktop writes a whole channel history as one JSON document (often hundreds of
megabytes). ``json.load`` would hold every message in memory at once, several times over;
this walks the outer objects and arrays key by key and decodes only one element (one message)
at a time with the stdlib decoder, so memory stays bounded by the largest single message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

_WHITESPACE = " \t\r\n"


class JsonStreamError(ValueError):
    """The document is not valid JSON (or not the shape the caller expected) at ``offset``."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (at character {offset:,})")
        self.offset = offset


class JsonStream:
    """Reads JSON tokens from a text stream; callers walk containers and decode leaf values.

    Usage: ``for key in s.object_keys(): ...`` then consume exactly one value per key with
    ``s.value()`` or by walking it with ``object_keys``/``array_items``; likewise
    ``for _ in s.array_items(): s.value()``.
    """

    def __init__(self, stream: IO[str], chunk_size: int = 1 << 16) -> None:
        self._stream = stream
        self._chunk = chunk_size
        self._buf = ""
        self._pos = 0
        self._consumed = 0  # characters dropped from the front of the buffer
        self._eof = False
        self._decoder = json.JSONDecoder()

    @property
    def offset(self) -> int:
        """Character offset of the read position in the document (for error messages)."""
        return self._consumed + self._pos

    def _fill(self) -> bool:
        """Read more text; the read doubles with the pending buffer so big values stay linear."""
        if self._eof:
            return False
        if self._pos:
            self._consumed += self._pos
            self._buf = self._buf[self._pos :]
            self._pos = 0
        data = self._stream.read(max(self._chunk, len(self._buf)))
        if not data:
            self._eof = True
            return False
        self._buf += data
        return True

    def peek(self) -> str:
        """The next non-whitespace character without consuming it; "" at the end."""
        while True:
            buf, pos = self._buf, self._pos
            while pos < len(buf) and buf[pos] in _WHITESPACE:
                pos += 1
            self._pos = pos
            if pos < len(buf):
                return buf[pos]
            if not self._fill():
                return ""

    def expect(self, char: str) -> None:
        found = self.peek()
        if found != char:
            shown = repr(found) if found else "end of file"
            raise JsonStreamError(f"expected {char!r}, found {shown}", self.offset)
        self._pos += 1

    def value(self) -> Any:
        """Decode the next complete JSON value (a scalar, or a whole object/array)."""
        if not self.peek():
            raise JsonStreamError("unexpected end of file", self.offset)
        while True:
            try:
                obj, end = self._decoder.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                # Possibly just cut off by the buffer end: read more and try again.
                if self._fill():
                    continue
                raise JsonStreamError(exc.msg, self._consumed + exc.pos) from None
            except RecursionError:
                raise JsonStreamError("JSON nested too deeply", self.offset) from None
            if end == len(self._buf) and not self._eof and self._fill():
                continue  # a number at the buffer end may continue in the next chunk
            self._pos = end
            return obj

    def string(self) -> str:
        if self.peek() != '"':
            raise JsonStreamError("expected a string", self.offset)
        return self.value()  # type: ignore[no-any-return]

    def object_keys(self) -> Iterator[str]:
        """Enter an object; yield each key with the read position at its value."""
        self.expect("{")
        if self.peek() == "}":
            self._pos += 1
            return
        while True:
            key = self.string()
            self.expect(":")
            yield key
            char = self.peek()
            self._pos += 1
            if char == "}":
                return
            if char != ",":
                self._pos -= 1
                raise JsonStreamError("expected ',' or '}' in an object", self.offset)

    def array_items(self) -> Iterator[int]:
        """Enter an array; yield each index with the read position at its element."""
        self.expect("[")
        if self.peek() == "]":
            self._pos += 1
            return
        index = 0
        while True:
            yield index
            index += 1
            char = self.peek()
            self._pos += 1
            if char == "]":
                return
            if char != ",":
                self._pos -= 1
                raise JsonStreamError("expected ',' or ']' in an array", self.offset)
