"""Retroactive matching: which texts already stored match items just added to a bank?

``rematch_stored`` scans the ``items`` table (texts ingested by the monitoring service) in
batches, against an in-memory index of only the new bank items: the cost is one signature per
stored text plus a lookup into a small index. Candidates are then confirmed with the full
``Matcher`` (this bank plus every enabled allow-bank), so a retroactive hit obeys the same
thresholds and allow-bank suppression as a live match.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from nazar.match.banks import effective_thresholds, get_bank
from nazar.match.index import NearDupIndex
from nazar.match.signatures import signatures
from nazar.store.bank_models import Bank, BankItem
from nazar.store.models import Item

__all__ = ["RetroHit", "rematch_stored"]

_BATCH = 2000


@dataclass(frozen=True)
class RetroHit:
    item_id: int  # items.id
    external_id: str  # items.external_id
    bank: str
    bank_item_id: str  # the bank item's external id
    method: str
    distance: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "external_id": self.external_id,
            "bank": self.bank,
            "bank_item_id": self.bank_item_id,
            "method": self.method,
            "distance": round(self.distance, 4),
        }


def rematch_stored(
    session: Session,
    bank: Bank | str,
    new_item_ids: Sequence[int],
    methods: Sequence[str] = ("exact", "near_duplicate"),
) -> list[RetroHit]:
    """Stored items that match the bank items ``new_item_ids`` (``bank_items.id``), by item id.

    ``methods``: add ``"semantic"`` to also compare meaning (one encoder pass over every
    stored text unless ``nazar.embed``'s cache has them).
    """
    from nazar.match.api import Matcher

    if isinstance(bank, str):
        bank = get_bank(session, bank)
    if not bank.enabled or bank.kind != "block" or not new_item_ids:
        return []
    new = list(
        session.execute(
            select(BankItem.id, BankItem.text).where(
                BankItem.bank_id == bank.id,
                BankItem.id.in_(list(new_item_ids)),
                BankItem.enabled.is_(True),
            )
        )
    )
    if not new:
        return []
    new_ids = {r.id for r in new}
    th = effective_thresholds(bank)
    nd = th["near_duplicate"]
    max_d = float(nd) if nd != "off" and "near_duplicate" in methods else 0.0
    small = NearDupIndex.build(
        np.asarray([r.id for r in new], np.int64), [signatures([r.text for r in new])]
    )
    use_semantic = "semantic" in methods and th["semantic"] != "off"
    matcher = Matcher(session, banks=[bank.name], methods=tuple(methods))
    q = (
        select(Item.id, Item.external_id, Item.text)
        .where(Item.text.is_not(None))
        .order_by(Item.id)
        .execution_options(yield_per=_BATCH)
    )
    hits: list[RetroHit] = []
    buf: list[Any] = []

    def flush() -> None:
        if not buf:
            return
        if use_semantic:
            cand = list(range(len(buf)))  # meaning: every text is a candidate
        else:
            found = small.query(signatures([r.text for r in buf]), max_distance=max_d)
            cand = sorted(set(found.query.tolist()))
        if cand:
            results = matcher.match([buf[i].text for i in cand])
            for i, res in zip(cand, results, strict=True):
                for m in res.matches:
                    if m.bank == bank.name and m.bank_item_id in new_ids:
                        row = buf[i]
                        hits.append(
                            RetroHit(
                                row.id, row.external_id, m.bank, m.item_id, m.method, m.distance
                            )
                        )
        buf.clear()

    for row in session.execute(q):
        buf.append(row)
        if len(buf) >= _BATCH:
            flush()
    flush()
    return hits
