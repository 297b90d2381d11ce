"""The demo sources of ``make run``: loaded once, so the dashboard has something to show."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from nazar.monitor.ingest import get_or_create_source, ingest
from nazar.monitor.sources import IncomingItem
from nazar.records import read_jsonl
from nazar.store.db import utcnow
from nazar.store.models import AlertRule, Source


def load_demo(session: Session, path: str | Path) -> int:
    """Ingest the demo file unless its sources exist already; returns items loaded.

    Dates are shifted so the newest demo item is "now": the trends show the last weeks
    whenever the demo is started.
    """
    rows = list(read_jsonl(path))
    by_source: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_source[row.get("source") or "demo"].append(row)
    if session.scalar(select(Source.id).where(Source.name.in_(list(by_source)))) is not None:
        return 0
    dates = [datetime.fromisoformat(r["published_at"]) for r in rows if r.get("published_at")]
    shift = (utcnow() - max(dates)) if dates else None
    loaded = 0
    for name, items in by_source.items():
        source = get_or_create_source(session, name, "file", {"demo": True, "path": str(path)})
        new = [
            IncomingItem(
                external_id=str(r["id"]),
                text=r.get("text"),
                published_at=(datetime.fromisoformat(r["published_at"]) + shift)
                if r.get("published_at") and shift is not None
                else None,
                metadata={"demo": True},
            )
            for r in items
        ]
        loaded += ingest(session, source, new).accepted
    kk = session.scalar(select(Source).where(Source.name == "demo-channel-kk"))
    if kk is not None:
        session.add(
            AlertRule(
                name="demo: Kazakh channel rising",
                source_id=kk.id,
                window_days=7,
                baseline_days=21,
                margin=0.1,
                min_items=10,
            )
        )
        session.commit()
    return loaded
