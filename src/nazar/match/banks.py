"""Bank storage: create banks, add items with provenance, enable/disable, export/import.

Banks live in the project database (``nazar.store``); each bank's match index lives under
``$NAZAR_HOME/banks/<database key>/<bank id>/`` and is brought up to date from the database
whenever ``banks.revision`` moved past the revision it was built for (``ensure_index``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from nazar.match.index import NearDupIndex
from nazar.match.signatures import canonical, signatures
from nazar.paths import nazar_home
from nazar.store.bank_models import BANK_KINDS, Bank, BankItem
from nazar.store.db import utcnow

__all__ = [
    "DEFAULT_THRESHOLDS",
    "METHODS",
    "AddResult",
    "BankError",
    "add_items",
    "bank_dir",
    "create_bank",
    "effective_thresholds",
    "ensure_index",
    "ensure_semantic_index",
    "export_items",
    "get_bank",
    "parse_threshold",
    "set_enabled",
    "text_hash",
]

METHODS = ("exact", "near_duplicate", "semantic")
# Maximum distance per method. near_duplicate: 1 - estimated Jaccard of 5-character shingles
# (calibrated in benchmarks/match_quality.py); semantic "auto": the per-language-pair table of
# nazar.match.semantic. "off" switches a method off for a bank.
DEFAULT_THRESHOLDS: dict[str, float | str] = {
    "exact": 0.0,
    "near_duplicate": 0.5,
    "semantic": "auto",
}
_BATCH = 4096


class BankError(Exception):
    """A bank operation that cannot be done as asked (unknown bank, bad threshold...)."""


def text_hash(text: str) -> str:
    """SHA-256 (hex) of the canonical form of ``text``: equal for exact-method matches."""
    return hashlib.sha256(canonical(text).encode("utf-8")).hexdigest()


def parse_threshold(spec: str) -> tuple[str, float | str]:
    """``METHOD=VALUE`` (VALUE a distance in [0, 1], ``off``, or ``auto`` for semantic)."""
    method, sep, value = spec.partition("=")
    method = method.strip().replace("-", "_")
    if not sep or method not in METHODS:
        raise BankError(f"threshold {spec!r}: expected METHOD=VALUE, METHOD one of {METHODS}")
    value = value.strip().lower()
    if value == "off" or (value == "auto" and method == "semantic"):
        return method, value
    try:
        v = float(value)
    except ValueError:
        raise BankError(f"threshold {spec!r}: VALUE must be a number, 'off' or 'auto'") from None
    if not 0.0 <= v <= 1.0:
        raise BankError(f"threshold {spec!r}: a distance is between 0 and 1")
    return method, v


def effective_thresholds(bank: Bank) -> dict[str, float | str]:
    """The bank's thresholds over the defaults."""
    out = dict(DEFAULT_THRESHOLDS)
    out.update({k: v for k, v in (bank.thresholds or {}).items() if k in METHODS})
    return out


def get_bank(session: Session, name: str) -> Bank:
    bank = session.scalar(select(Bank).where(Bank.name == name))
    if bank is None:
        known = ", ".join(session.scalars(select(Bank.name).order_by(Bank.name))) or "none"
        raise BankError(f"no bank named {name!r} (banks: {known})")
    return bank


def create_bank(
    session: Session,
    name: str,
    kind: str = "block",
    thresholds: dict[str, float | str] | None = None,
    description: str | None = None,
) -> Bank:
    if kind not in BANK_KINDS:
        raise BankError(f"bank kind must be one of {BANK_KINDS}, not {kind!r}")
    if not name.strip():
        raise BankError("a bank needs a name")
    if session.scalar(select(Bank.id).where(Bank.name == name)) is not None:
        raise BankError(f"a bank named {name!r} exists already")
    bank = Bank(
        name=name,
        kind=kind,
        enabled=True,
        thresholds=dict(thresholds or {}),
        description=description,
        created_at=utcnow(),
        revision=0,
    )
    session.add(bank)
    session.flush()
    return bank


@dataclass
class AddResult:
    added: list[int] = field(default_factory=list)  # bank_items.id of new rows
    duplicates: int = 0  # item ids already in the bank
    errors: int = 0  # records without usable text


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def add_items(
    session: Session,
    bank: Bank,
    records: Iterable[dict[str, Any]],
    added_by: str | None = None,
    source: str | None = None,
) -> AddResult:
    """Add records ``{id?, text, lang?, labels?/label?, themes?, source?, ...}`` to ``bank``.

    A record without ``id`` gets ``sha256:<16 hex>`` of its canonical text, so adding the same
    file twice adds nothing. Fields other than the known ones are kept in ``metadata``.
    ``added_at``/``added_by``/``enabled`` from the record win (export/import round trip).
    """
    from nazar.text.langid import identify_language

    result = AddResult()
    existing = set(session.scalars(select(BankItem.item_id).where(BankItem.bank_id == bank.id)))
    known = {"id", "text", "lang", "labels", "label", "themes", "source", "added_by"}
    known |= {"added_at", "enabled", "metadata"}
    for rec in records:
        text = rec.get("text")
        if not isinstance(text, str) or not text.strip():
            result.errors += 1
            continue
        th = text_hash(text)
        item_id = str(rec["id"]) if rec.get("id") not in (None, "") else f"sha256:{th[:16]}"
        if item_id in existing:
            result.duplicates += 1
            continue
        existing.add(item_id)
        meta = dict(rec.get("metadata") or {})
        meta.update({k: v for k, v in rec.items() if k not in known})
        added_at = rec.get("added_at")
        row = BankItem(
            bank_id=bank.id,
            item_id=item_id[:512],
            text=text,
            text_hash=th,
            lang=(rec.get("lang") or identify_language(text) or None),
            source=rec.get("source") or source,
            added_by=rec.get("added_by") or added_by,
            added_at=_parse_time(added_at) if added_at else utcnow(),
            labels=_as_list(rec.get("labels", rec.get("label"))),
            themes=_as_list(rec.get("themes")),
            meta=meta,
            enabled=bool(rec.get("enabled", True)),
        )
        session.add(row)
        session.flush()
        result.added.append(row.id)
    if result.added:
        bank.revision = (bank.revision or 0) + 1
    session.flush()
    return result


def _parse_time(value: Any) -> Any:
    from datetime import datetime

    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return utcnow()
    return value


def set_enabled(session: Session, bank: Bank, value: bool, item_id: str | None = None) -> int:
    """Enable/disable a whole bank, or one of its items (by external id). Returns rows changed."""
    if item_id is None:
        changed = int(bank.enabled != value)
        bank.enabled = value
        session.flush()
        return changed
    res = session.execute(
        update(BankItem)
        .where(BankItem.bank_id == bank.id, BankItem.item_id == item_id)
        .values(enabled=value)
    )
    if res.rowcount == 0:
        raise BankError(f"bank {bank.name!r} has no item {item_id!r}")
    bank.revision = (bank.revision or 0) + 1
    session.flush()
    return int(res.rowcount)


def item_counts(session: Session) -> dict[int, tuple[int, int]]:
    """bank id -> (items, enabled items)."""
    rows = session.execute(
        select(BankItem.bank_id, BankItem.enabled, func.count()).group_by(
            BankItem.bank_id, BankItem.enabled
        )
    )
    out: dict[int, list[int]] = {}
    for bank_id, enabled, n in rows:
        c = out.setdefault(bank_id, [0, 0])
        c[0] += n
        if enabled:
            c[1] += n
    return {k: (v[0], v[1]) for k, v in out.items()}


def export_items(session: Session, bank: Bank) -> Iterator[dict[str, Any]]:
    """The bank as JSONL records: a header ``{"nazar_bank": {...}}`` then one line per item."""
    yield {
        "nazar_bank": {
            "name": bank.name,
            "kind": bank.kind,
            "enabled": bank.enabled,
            "thresholds": bank.thresholds or {},
            "description": bank.description,
        }
    }
    q = (
        select(BankItem)
        .where(BankItem.bank_id == bank.id)
        .order_by(BankItem.id)
        .execution_options(yield_per=_BATCH)
    )
    for it in session.scalars(q):
        yield {
            "id": it.item_id,
            "text": it.text,
            "lang": it.lang,
            "labels": it.labels or [],
            "themes": it.themes or [],
            "source": it.source,
            "added_by": it.added_by,
            "added_at": it.added_at.isoformat() if it.added_at else None,
            "enabled": it.enabled,
            "metadata": it.meta or {},
        }


# ---------------------------------------------------------------------------------------------
# On-disk indexes
# ---------------------------------------------------------------------------------------------


def bank_dir(session: Session, bank: Bank) -> Path:
    """``$NAZAR_HOME/banks/<hash of the database URL>/<bank id>``: two databases sharing one
    home never share an index."""
    url = session.get_bind().url.render_as_string(hide_password=True)
    key = hashlib.sha256(url.encode()).hexdigest()[:12]
    return nazar_home() / "banks" / key / str(bank.id)


def _texts_batches(
    session: Session, bank: Bank, after_id: int, upto_id: int
) -> Iterator[tuple[list[int], list[str]]]:
    q = (
        select(BankItem.id, BankItem.text)
        .where(BankItem.bank_id == bank.id, BankItem.id > after_id, BankItem.id <= upto_id)
        .order_by(BankItem.id)
        .execution_options(yield_per=_BATCH)
    )
    ids: list[int] = []
    texts: list[str] = []
    for row_id, text in session.execute(q):
        ids.append(row_id)
        texts.append(text)
        if len(ids) >= _BATCH:
            yield ids, texts
            ids, texts = [], []
    if ids:
        yield ids, texts


def _active_mask(session: Session, bank: Bank, ids: np.ndarray) -> np.ndarray:
    disabled = np.fromiter(
        session.scalars(
            select(BankItem.id).where(BankItem.bank_id == bank.id, BankItem.enabled.is_(False))
        ),
        dtype=np.int64,
    )
    return ~np.isin(ids, disabled)


def ensure_index(session: Session, bank: Bank) -> NearDupIndex:
    """The bank's exact/near-duplicate index, updated from the database if stale."""
    path = bank_dir(session, bank) / "neardup"
    rev = NearDupIndex.read_revision(path)
    if rev == bank.revision:
        return NearDupIndex.load(path)
    index = NearDupIndex.load(path, mmap=False) if rev is not None else NearDupIndex.empty()
    after = int(index.ids.max()) if len(index) else 0
    new_ids = np.fromiter(
        session.scalars(
            select(BankItem.id)
            .where(BankItem.bank_id == bank.id, BankItem.id > after)
            .order_by(BankItem.id)
        ),
        dtype=np.int64,
    )
    upto = int(new_ids[-1]) if len(new_ids) else after
    # A generator: one batch's full MinHash rows in memory at a time.
    batches = (signatures(texts) for _, texts in _texts_batches(session, bank, after, upto))
    index = index.extend(new_ids, batches, revision=bank.revision)
    # Rows whose canonical text is empty carry the all-0xFF signature: never active.
    indexable = ~(np.asarray(index.sig) == 0xFF).all(axis=1)
    index.active = _active_mask(session, bank, np.asarray(index.ids)) & indexable
    index.save(path)
    return index


def ensure_semantic_index(session: Session, bank: Bank) -> Any:
    """The bank's vector index (nazar.match.semantic), updated from the database if stale.

    Vectors of every item (enabled or not) are kept, so enabling an item needs no encoding.
    """
    from nazar.match.semantic import SemanticIndex, embed

    path = bank_dir(session, bank) / "semantic"
    meta_path = path / "meta.json"
    ids = np.zeros(0, np.int64)
    langs = np.zeros(0, "U8")
    vecs = np.zeros((0, 384), np.float16)
    rev = None
    if meta_path.exists():
        try:
            rev = json.loads(meta_path.read_text(encoding="utf-8"))["revision"]
            ids = np.load(path / "ids.npy")
            langs = np.load(path / "langs.npy")
            vecs = np.load(path / "vectors.npy", mmap_mode="r")
        except (OSError, ValueError, KeyError):
            rev = None
            ids = np.zeros(0, np.int64)
    if rev != bank.revision:
        after = int(ids.max()) if len(ids) else 0
        q = (
            select(BankItem.id, BankItem.text, BankItem.lang)
            .where(BankItem.bank_id == bank.id, BankItem.id > after)
            .order_by(BankItem.id)
        )
        rows = session.execute(q).all()
        if rows:
            new_vecs = embed([r.text for r in rows]).astype(np.float16)
            ids = np.concatenate([ids, np.asarray([r.id for r in rows], np.int64)])
            langs = np.concatenate([langs, np.asarray([r.lang or "und" for r in rows], "U8")])
            vecs = np.concatenate([np.asarray(vecs), new_vecs])
        path.mkdir(parents=True, exist_ok=True)
        np.save(path / "ids.npy", ids)
        np.save(path / "langs.npy", langs)
        np.save(path / "vectors.npy", np.asarray(vecs))
        meta_path.write_text(json.dumps({"revision": bank.revision}), encoding="utf-8")
    index = SemanticIndex(ids, langs, vecs)
    index.active = _active_mask(session, bank, ids)  # type: ignore[attr-defined]
    return index
