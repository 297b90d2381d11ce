"""The scoring worker: pending items -> detector (+ banks) -> verdicts, with the model version.

Runs as a thread inside ``nazar serve`` by default, or as its own process (``nazar worker``);
several workers may run at once: each claims a batch by id range inside one transaction, and
a verdict is only written for an item still ``pending`` (or being re-scored).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from nazar.match.banks import text_hash  # the exact-match key banks use, so they compare
from nazar.store.db import utcnow
from nazar.store.models import Item, Verdict
from nazar.types import Item as TextItem

log = logging.getLogger("nazar.worker")

BATCH = 128


def bank_matches(session: Session, texts: list[str | None]) -> list[Any]:
    """Exact and near-duplicate ``Match``es per text against the enabled banks.

    The semantic method is left to ``nazar match``: an encoder pass per ingested item would
    cost more than scoring it.
    """
    from nazar.match.api import FAST_METHODS, Matcher

    matcher = Matcher(session, methods=FAST_METHODS)
    if matcher.empty:
        return [[] for _ in texts]
    return [r.matches for r in matcher.match(texts)]


def score_batch(session: Session, detector: Any, limit: int = BATCH) -> int:
    """Score up to ``limit`` pending items; returns how many were scored."""
    rows = list(
        session.execute(
            select(Item.id, Item.text).where(Item.state == "pending").order_by(Item.id).limit(limit)
        )
    )
    if not rows:
        return 0
    verdicts = detector.classify([TextItem(id=str(r.id), text=r.text) for r in rows])
    try:
        matches = bank_matches(session, [r.text for r in rows])
    except Exception:  # a broken bank index must not stop scoring; it is logged
        log.exception("bank matching failed; items scored without matches")
        matches = [[] for _ in rows]
    now = utcnow()
    failed, item_rows, verdict_rows = [], [], []
    for row, verdict, found in zip(rows, verdicts, matches, strict=True):
        if verdict.error:
            failed.append(
                {"id": row.id, "state": "error", "error": verdict.error, "scored_at": now}
            )
            continue
        evidence = [e.to_dict() for e in verdict.evidence]
        if found:  # a known item counts as evidence for the reviewer (match.api)
            from nazar.match.api import match_evidence

            evidence += match_evidence(row.text, found)
        common = {
            "lang": verdict.lang,
            "label": verdict.label,
            "score": verdict.score,
            "flagged": verdict.flagged,
            "themes": verdict.themes,
            "model": verdict.model,
        }
        verdict_rows.append(
            {
                "item_id": row.id,
                **common,
                "scores": verdict.scores,
                "evidence": evidence,
                "matches": [m.to_dict() for m in found],
                "created_at": now,
            }
        )
        item_rows.append(
            {"id": row.id, "state": "scored", "text_hash": text_hash(row.text), "scored_at": now}
            | common
        )
    # Bulk statements: one round trip per kind instead of one per item.
    if verdict_rows:
        session.execute(insert(Verdict), verdict_rows)
    for batch in (item_rows, failed):
        if batch:
            session.execute(update(Item), batch)
    session.commit()
    return len(rows)


def request_rescore(session: Session, source_id: int | None = None) -> int:
    """Mark scored items pending again (after a new model); old verdicts stay as history."""
    stmt = update(Item).where(Item.state == "scored")
    if source_id is not None:
        stmt = stmt.where(Item.source_id == source_id)
    n = session.execute(stmt.values(state="pending")).rowcount
    session.commit()
    return int(n or 0)


class ScoringWorker(threading.Thread):
    """Scores pending items until stopped; wakes at once when ``notify()`` is called."""

    def __init__(self, sessions: sessionmaker, detector: Any, idle_wait: float = 1.0) -> None:
        super().__init__(name="nazar-scoring", daemon=True)
        self.sessions = sessions
        self.detector = detector
        self.idle_wait = idle_wait
        self._stop_event = threading.Event()
        self._wake = threading.Event()
        self.scored = 0

    def notify(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop_event.set()
        self._wake.set()
        self.join(timeout)

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                with self.sessions() as session:
                    n = score_batch(session, self.detector)
            except Exception:  # the database may be briefly away; try again shortly
                log.exception("scoring batch failed")
                n = 0
            self.scored += n
            if n == 0:
                self._wake.wait(self.idle_wait)
                self._wake.clear()
