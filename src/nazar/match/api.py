"""Matching texts against banks: ``Matcher`` (library), ``ClassifyMatches`` (for ``classify``).

Methods and distances (each match names its method):

* ``exact``: the canonical texts (``nazar.match.signatures.canonical``) are equal; distance 0;
* ``near_duplicate``: 1 - Jaccard similarity of 5-character shingles, estimated from the
  128-value MinHash; default threshold 0.5;
* ``semantic``: 1 - cosine of multilingual-e5 vectors; default threshold per language pair
  (``nazar.match.semantic.PAIR_MAX_DISTANCE``).

A bank item is reported once, with its strongest method (exact > near_duplicate > semantic).
Matches are sorted best first: by distance, then by method strength.

Allow-banks. A text is compared with the enabled allow-banks as well. A block match with method
``m`` and distance ``d`` is **suppressed** when the text also matches an allow-bank item with
a stronger method than ``m``, or with the same method at a distance ``<= d``. In words: a
block match stands only if the text is closer to the block item than to every matching
allowed text. A mosque's post quoting a Quran verse (in the allow-bank) matches the verse
better than it matches the propaganda post that quoted the same verse, so the propaganda match
is suppressed; a copy of the propaganda post is closer to the propaganda than to the verse
alone, so it is still reported. Suppressed matches are listed under ``suppressed`` with the
allow item that suppressed them, so a reviewer can see why.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from nazar.match.banks import (
    METHODS,
    effective_thresholds,
    ensure_index,
    ensure_semantic_index,
)
from nazar.match.signatures import signatures
from nazar.store.bank_models import Bank, BankItem

__all__ = ["STRENGTH", "ClassifyMatches", "Match", "MatchResult", "Matcher", "apply_allow"]

STRENGTH = {"exact": 3, "near_duplicate": 2, "semantic": 1}
FAST_METHODS = ("exact", "near_duplicate")


@dataclass
class Match:
    bank: str
    kind: str  # block | allow
    item_id: str  # the bank item's external id
    bank_item_id: int  # bank_items.id
    method: str
    distance: float
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "bank": self.bank,
            "item_id": self.item_id,
            "method": self.method,
            "distance": round(self.distance, 4),
            "metadata": self.metadata,
        }


@dataclass
class MatchResult:
    matches: list[Match] = field(default_factory=list)  # block matches, best first
    suppressed: list[tuple[Match, Match]] = field(default_factory=list)  # (block, by allow)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"matches": [m.to_dict() for m in self.matches]}
        if self.suppressed:
            out["suppressed"] = [
                {
                    **m.to_dict(),
                    "by": {
                        "bank": a.bank,
                        "item_id": a.item_id,
                        "method": a.method,
                        "distance": round(a.distance, 4),
                    },
                }
                for m, a in self.suppressed
            ]
        return out


def _sort_key(m: Match) -> tuple[float, int]:
    return (m.distance, -STRENGTH[m.method])


def apply_allow(block: list[Match], allow: list[Match]) -> MatchResult:
    """Suppress block matches explained at least as well by an allow match (module docstring)."""
    result = MatchResult()
    for m in sorted(block, key=_sort_key):
        by = next(
            (
                a
                for a in sorted(allow, key=_sort_key)
                if STRENGTH[a.method] > STRENGTH[m.method]
                or (a.method == m.method and a.distance <= m.distance)
            ),
            None,
        )
        if by is None:
            result.matches.append(m)
        else:
            result.suppressed.append((m, by))
    return result


class Matcher:
    """Matches texts against the enabled banks of a database session.

    ``banks``: names of block banks to use (default: all enabled block banks); enabled
    allow-banks always apply unless ``use_allow`` is False. ``methods``: a subset of
    ``METHODS``; ``semantic`` is used only if ``nazar.embed`` is importable.
    """

    def __init__(
        self,
        session: Session,
        banks: Sequence[str] | None = None,
        methods: Sequence[str] = METHODS,
        use_allow: bool = True,
    ) -> None:
        from nazar.match.banks import get_bank

        self.session = session
        q = select(Bank).where(Bank.enabled.is_(True)).order_by(Bank.id)
        enabled = list(session.scalars(q))
        if banks:
            chosen = [get_bank(session, n) for n in banks]
            block = [b for b in chosen if b.kind == "block"]
            allow = [b for b in chosen if b.kind == "allow"]
            if use_allow:
                allow += [b for b in enabled if b.kind == "allow" and b not in allow]
        else:
            block = [b for b in enabled if b.kind == "block"]
            allow = [b for b in enabled if b.kind == "allow"] if use_allow else []
        self.banks = [*block, *allow]
        self.methods = tuple(m for m in methods if m in METHODS)
        if "semantic" in self.methods:
            from nazar.match.semantic import embedder_available

            if not embedder_available():
                self.methods = tuple(m for m in self.methods if m != "semantic")
        self._neardup = {b.id: ensure_index(session, b) for b in self.banks}
        self._semantic: dict[int, Any] = {}
        self._items: dict[int, BankItem] = {}

    @property
    def empty(self) -> bool:
        return not self.banks

    def _semantic_index(self, bank: Bank) -> Any:
        if bank.id not in self._semantic:
            self._semantic[bank.id] = ensure_semantic_index(self.session, bank)
        return self._semantic[bank.id]

    def _item_rows(self, ids: Iterable[int]) -> None:
        missing = [i for i in set(ids) if i not in self._items]
        for s in range(0, len(missing), 500):
            chunk = missing[s : s + 500]
            for it in self.session.scalars(select(BankItem).where(BankItem.id.in_(chunk))):
                self._items[it.id] = it

    def match(
        self, texts: Sequence[str | None], langs: Sequence[str | None] | None = None
    ) -> list[MatchResult]:
        """One ``MatchResult`` per text (``None`` texts get an empty result)."""
        n = len(texts)
        raw: list[list[tuple[Bank, int, str, float]]] = [[] for _ in range(n)]
        if not self.banks or not n:
            return [MatchResult() for _ in range(n)]
        live = [i for i, t in enumerate(texts) if isinstance(t, str) and t.strip()]
        live_texts = [texts[i] for i in live]  # type: ignore[misc]
        if ("exact" in self.methods or "near_duplicate" in self.methods) and live:
            batch = signatures(live_texts)
            for bank in self.banks:
                th = effective_thresholds(bank)
                exact_on = "exact" in self.methods and th["exact"] != "off"
                nd = th["near_duplicate"]
                nd_on = "near_duplicate" in self.methods and nd != "off"
                if not (exact_on or nd_on):
                    continue
                index = self._neardup[bank.id]
                hits = index.query(batch, max_distance=float(nd) if nd_on else 0.0)
                ids = np.asarray(index.ids)
                for q, row, d, ex in zip(
                    hits.query, hits.row, hits.distance, hits.exact, strict=True
                ):
                    if ex and exact_on:
                        raw[live[q]].append((bank, int(ids[row]), "exact", 0.0))
                    elif nd_on:
                        raw[live[q]].append((bank, int(ids[row]), "near_duplicate", float(d)))
        if "semantic" in self.methods and live:
            sem_banks = [b for b in self.banks if effective_thresholds(b)["semantic"] != "off"]
            if sem_banks:
                from nazar.match.semantic import embed
                from nazar.text.langid import identify_language

                vecs = embed(live_texts)
                qlangs = [
                    (langs[i] if langs and langs[i] else identify_language(texts[i] or ""))
                    for i in live
                ]
                for bank in sem_banks:
                    th = effective_thresholds(bank)["semantic"]
                    sidx = self._semantic_index(bank)
                    res = sidx.search(
                        vecs,
                        qlangs,
                        None if th == "auto" else float(th),
                        active=getattr(sidx, "active", None),
                    )
                    for qi, found in enumerate(res):
                        for row, d in found:
                            raw[live[qi]].append((bank, int(sidx.ids[row]), "semantic", d))
        self._item_rows(bid for per in raw for _, bid, _, _ in per)
        return [self._result(per) for per in raw]

    def _result(self, per: list[tuple[Bank, int, str, float]]) -> MatchResult:
        best: dict[int, Match] = {}
        for bank, bid, method, d in per:
            item = self._items.get(bid)
            if item is None or not item.enabled:
                continue
            m = Match(bank.name, bank.kind, item.item_id, bid, method, d, _item_meta(item))
            old = best.get(bid)
            if old is None or STRENGTH[method] > STRENGTH[old.method]:
                best[bid] = m
        block = [m for m in best.values() if m.kind == "block"]
        allow = [m for m in best.values() if m.kind == "allow"]
        return apply_allow(block, allow)


def _item_meta(item: BankItem) -> dict[str, Any]:
    meta: dict[str, Any] = {"labels": item.labels or [], "themes": item.themes or []}
    if item.lang:
        meta["lang"] = item.lang
    if item.source:
        meta["source"] = item.source
    if item.meta:
        meta.update(item.meta)
    return meta


class ClassifyMatches:
    """Adds ``matches`` (and evidence) to ``nazar classify`` rows, in a streaming way.

    ``track`` wraps the items iterator and remembers each text in order; ``match_rows``
    consumes the classifier's rows (one per item, same order), matches them in batches with
    the fast methods (exact, near-duplicate: the semantic method would cost an encoder pass
    per text), and adds ``matches`` (always; ``[]`` without banks) and, per match, an
    evidence entry spanning the whole text:
    ``{"start": 0, "end": len(text), "text": text, "why": "matches bank B item I
    (near_duplicate, d=0.08)"}``. Label and score are not changed: a match is evidence for a
    reviewer, the classifier's judgement stays the classifier's.
    """

    def __init__(self, matcher: Matcher | None, batch: int = 256) -> None:
        self.matcher = matcher
        self.batch = batch
        self._texts: deque[str | None] = deque()

    @classmethod
    def open(cls) -> ClassifyMatches:
        """Banks of the configured database, if it exists and has any; never creates one."""
        try:
            matcher = _open_matcher_if_banks()
        except Exception as exc:  # a broken database must not stop classification
            print(f"nazar: bank matching skipped: {exc}", file=sys.stderr)
            matcher = None
        return cls(matcher)

    def track(self, items: Iterable[Any]) -> Iterator[Any]:
        for item in items:
            self._texts.append(item.text)
            yield item

    def match_rows(self, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        buf: list[tuple[dict[str, Any], str | None]] = []
        for row in rows:
            buf.append((row, self._texts.popleft() if self._texts else None))
            if len(buf) >= self.batch:
                yield from self._flush(buf)
                buf = []
        yield from self._flush(buf)

    def _flush(self, buf: list[tuple[dict[str, Any], str | None]]) -> Iterator[dict[str, Any]]:
        if self.matcher is None or self.matcher.empty:
            for row, _ in buf:
                row["matches"] = []
                yield row
            return
        results = self.matcher.match([None if r.get("error") else t for r, t in buf])
        for (row, text), res in zip(buf, results, strict=True):
            row["matches"] = [m.to_dict() for m in res.matches]
            if res.matches and text:
                row.setdefault("evidence", []).extend(match_evidence(text, res.matches))
            yield row


def match_evidence(text: str, matches: Sequence[Match]) -> list[dict[str, Any]]:
    """A bank match as evidence: the whole text, and which known item it matches and how."""
    return [
        {
            "start": 0,
            "end": len(text),
            "text": text,
            "why": f"matches bank {m.bank} item {m.item_id} ({m.method}, d={m.distance:.2f})",
        }
        for m in matches
    ]


def _open_matcher_if_banks() -> Matcher | None:
    from pathlib import Path

    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url

    from nazar.store.db import create_engine, database_url, session_factory

    url = database_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and (
        not parsed.database or not Path(parsed.database).exists()
    ):
        return None
    engine = create_engine(url)
    if not inspect(engine).has_table("banks"):
        return None
    session = session_factory(engine)()
    if session.scalar(select(Bank.id).where(Bank.enabled.is_(True)).limit(1)) is None:
        session.close()
        return None
    return Matcher(session, methods=FAST_METHODS)
