"""Alert rules: prevalence in a source rising above its own recent baseline.

A rule fires when, over the last ``window_days``, the share of ``violent_extremist`` items is
above the share over the ``baseline_days`` before it by more than ``margin`` and the window has
at least ``min_items`` items. Each firing is stored (the dashboard lists it) and posted as JSON
to the rule's webhook; a rule fires at most once per window.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from nazar.store.db import utcnow
from nazar.store.models import Alert, AlertRule, Item, Source
from nazar.types import POSITIVE_LABEL

log = logging.getLogger("nazar.alerts")


def _share(session: Session, rule: AlertRule, start: datetime, end: datetime) -> tuple[int, int]:
    when = func.coalesce(Item.published_at, Item.received_at)
    final_label = func.coalesce(Item.reviewed_label, Item.label)
    q = select(func.count(), func.sum(case((final_label == POSITIVE_LABEL, 1), else_=0))).where(
        Item.state == "scored", when >= start, when < end
    )
    if rule.source_id is not None:
        q = q.where(Item.source_id == rule.source_id)
    total, positive = session.execute(q).one()
    return int(positive or 0), int(total or 0)


def evaluate(session: Session, now: datetime | None = None) -> list[Alert]:
    """Check every enabled rule; store and return the alerts that fire now."""
    now = now or utcnow()
    fired = []
    for rule in session.scalars(select(AlertRule).where(AlertRule.enabled.is_(True))):
        window_start = now - timedelta(days=rule.window_days)
        base_start = window_start - timedelta(days=rule.baseline_days)
        recent = session.scalar(
            select(func.count())
            .select_from(Alert)
            .where(Alert.rule_id == rule.id, Alert.fired_at >= window_start)
        )
        if recent:
            continue
        k, n = _share(session, rule, window_start, now)
        bk, bn = _share(session, rule, base_start, window_start)
        if n < rule.min_items:
            continue
        value, baseline = k / n, (bk / bn if bn else 0.0)
        if value <= baseline + rule.margin:
            continue
        source = session.get(Source, rule.source_id) if rule.source_id else None
        alert = Alert(
            rule_id=rule.id,
            fired_at=now,
            window_start=window_start,
            window_end=now,
            value=value,
            baseline=baseline,
            count=n,
            details={
                "rule": rule.name,
                "source": source.name if source else None,
                "positive": k,
                "baseline_items": bn,
            },
        )
        session.add(alert)
        session.flush()
        if rule.webhook_url:
            alert.webhook_status = post_webhook(rule.webhook_url, alert_payload(alert))
        fired.append(alert)
    session.commit()
    return fired


def alert_payload(alert: Alert) -> dict[str, object]:
    """What the webhook receives: aggregates only, never item texts or authors."""
    return {
        "alert_id": alert.id,
        "rule": alert.details.get("rule"),
        "source": alert.details.get("source"),
        "fired_at": alert.fired_at.isoformat(),
        "window_start": alert.window_start.isoformat(),
        "window_end": alert.window_end.isoformat(),
        "prevalence": round(alert.value, 4),
        "baseline": round(alert.baseline, 4),
        "items": alert.count,
    }


def post_webhook(url: str, payload: dict[str, object], timeout: float = 5.0) -> str:
    """POST the payload; returns a short status for the record (never raises)."""
    req = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "User-Agent": "nazar-alerts"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return f"HTTP {resp.status}"
    except Exception as exc:  # an unreachable hook is recorded, not fatal
        log.warning("webhook failed: %s", type(exc).__name__)
        return f"failed: {type(exc).__name__}"
