"""Prevalence over time: count and share of each label (or theme) per day or week, by group.

A share comes with a Wilson score interval: with 3 flagged posts out of 20 the honest answer
is "between 5% and 36%", not "15%". Items a reviewer relabelled count with the reviewer's label.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nazar.store.models import Item, Source
from nazar.types import POSITIVE_LABEL

GROUPS = ("source", "lang", "label", "theme")
INTERVALS = ("day", "week")
Z95 = 1.959963984540054


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for k successes out of n (0, 0 when n is 0)."""
    if n == 0:
        return 0.0, 0.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # Rounded: float noise such as 5e-17 for a true 0 would only confuse a reader.
    return round(max(0.0, centre - half), 6), round(min(1.0, centre + half), 6)


@dataclass(slots=True)
class TrendPoint:
    bucket: str  # first day of the day or ISO week, YYYY-MM-DD
    group: str
    count: int  # items of this group (for label/theme: carrying it) in the bucket
    total: int  # items in the bucket (within the group for source/lang)
    positive: int  # of ``count``, labelled violent_extremist
    share: float  # source/lang: positive / total; label/theme: count / total
    ci_low: float
    ci_high: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _day_expr(session: Session, column: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.substr(column, 1, 10)  # SQLite keeps 'YYYY-MM-DD HH:MM:SS' text in UTC


def _bucket(day: str, interval: str) -> str:
    if interval == "day":
        return day
    d = date.fromisoformat(day)
    return (d - timedelta(days=d.weekday())).isoformat()  # ISO weeks start on Monday


def trends(
    session: Session,
    group_by: str = "source",
    interval: str = "day",
    start: datetime | None = None,
    end: datetime | None = None,
    source_id: int | None = None,
) -> list[TrendPoint]:
    if group_by not in GROUPS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPS)}")
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(INTERVALS)}")
    when = func.coalesce(Item.published_at, Item.received_at)
    day = _day_expr(session, when).label("day")
    final_label = func.coalesce(Item.reviewed_label, Item.label).label("final_label")
    conditions = [Item.state == "scored"]
    if start is not None:
        conditions.append(when >= start)
    if end is not None:
        conditions.append(when < end)
    if source_id is not None:
        conditions.append(Item.source_id == source_id)

    if group_by == "theme":
        return _theme_trends(session, day, final_label, conditions, interval)

    key = {"source": Source.name, "lang": Item.lang, "label": final_label}[group_by]
    q = (
        select(day, key.label("grp"), final_label, func.count())
        .select_from(Item)
        .join(Source, Source.id == Item.source_id)
        .where(*conditions)
        .group_by(day, key, final_label)
    )
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    bucket_totals: dict[str, int] = defaultdict(int)
    for d, grp, label, n in session.execute(q):
        b = _bucket(d, interval)
        cell = counts[(b, grp or "unknown")]
        cell[0] += n
        if label == POSITIVE_LABEL:
            cell[1] += n
        bucket_totals[b] += n
    points = []
    for (b, grp), (n, pos) in sorted(counts.items()):
        if group_by == "label":
            total, k = bucket_totals[b], n
        else:
            total, k = n, pos
        lo, hi = wilson(k, total)
        points.append(TrendPoint(b, grp, n, total, pos, k / total if total else 0.0, lo, hi))
    return points


def _theme_trends(
    session: Session, day: Any, final_label: Any, conditions: list[Any], interval: str
) -> list[TrendPoint]:
    totals: dict[str, int] = defaultdict(int)
    for d, n in session.execute(
        select(day, func.count()).select_from(Item).where(*conditions).group_by(day)
    ):
        totals[_bucket(d, interval)] += n
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    q = select(day, Item.themes, Item.reviewed_themes, final_label).where(*conditions)
    for d, themes, reviewed, label in session.execute(q):
        chosen = reviewed if reviewed is not None else themes
        for theme in chosen or []:
            cell = counts[(_bucket(d, interval), theme)]
            cell[0] += 1
            cell[1] += label == POSITIVE_LABEL
    points = []
    for (b, theme), (n, pos) in sorted(counts.items()):
        total = totals[b]
        lo, hi = wilson(n, total)
        points.append(TrendPoint(b, theme, n, total, pos, n / total if total else 0.0, lo, hi))
    return points
