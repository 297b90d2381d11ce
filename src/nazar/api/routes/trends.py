"""Prevalence over time, and alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from nazar.api.auth import Principal
from nazar.api.deps import get_session, require
from nazar.api.schemas import AlertOut, AlertRuleIn, AlertRuleOut, TrendPointOut, TrendsOut
from nazar.monitor.trends import trends
from nazar.store.models import Alert, AlertRule, Source

router = APIRouter(tags=["trends"])


def _source_id(session: Session, name: str | None) -> int | None:
    if name is None:
        return None
    sid = session.scalar(select(Source.id).where(Source.name == name))
    if sid is None:
        raise HTTPException(404, f"no source {name!r}")
    return sid


@router.get("/trends", response_model=TrendsOut)
def get_trends(
    _: Principal = Depends(require("trends")),
    session: Session = Depends(get_session),
    group_by: Literal["source", "lang", "label", "theme"] = "source",
    interval: Literal["day", "week"] = "day",
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
    source: str | None = None,
) -> TrendsOut:
    points = trends(session, group_by, interval, from_, to, _source_id(session, source))
    return TrendsOut(
        group_by=group_by,
        interval=interval,
        points=[TrendPointOut(**p.to_dict()) for p in points],
    )


def _rule_out(rule: AlertRule, session: Session) -> AlertRuleOut:
    source = session.get(Source, rule.source_id) if rule.source_id else None
    return AlertRuleOut(
        id=rule.id,
        name=rule.name,
        source=source.name if source else None,
        window_days=rule.window_days,
        baseline_days=rule.baseline_days,
        margin=rule.margin,
        min_items=rule.min_items,
        webhook_url=rule.webhook_url,
        enabled=rule.enabled,
    )


@router.get("/alerts", response_model=list[AlertOut])
def list_alerts(
    _: Principal = Depends(require("alerts:read")),
    session: Session = Depends(get_session),
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[AlertOut]:
    rows = session.scalars(select(Alert).order_by(Alert.fired_at.desc()).limit(limit))
    return [
        AlertOut(
            id=a.id,
            rule=a.details.get("rule"),
            source=a.details.get("source"),
            fired_at=a.fired_at,
            window_start=a.window_start,
            window_end=a.window_end,
            value=a.value,
            baseline=a.baseline,
            count=a.count,
            webhook_status=a.webhook_status,
        )
        for a in rows
    ]


@router.get("/alerts/rules", response_model=list[AlertRuleOut])
def list_rules(
    _: Principal = Depends(require("alerts:read")), session: Session = Depends(get_session)
) -> list[AlertRuleOut]:
    return [
        _rule_out(r, session) for r in session.scalars(select(AlertRule).order_by(AlertRule.id))
    ]


@router.post("/alerts/rules", response_model=AlertRuleOut, status_code=201)
def create_rule(
    body: AlertRuleIn,
    _: Principal = Depends(require("alerts:write")),
    session: Session = Depends(get_session),
) -> AlertRuleOut:
    if session.scalar(select(AlertRule.id).where(AlertRule.name == body.name)) is not None:
        raise HTTPException(409, f"a rule named {body.name!r} exists")
    rule = AlertRule(
        name=body.name,
        source_id=_source_id(session, body.source),
        window_days=body.window_days,
        baseline_days=body.baseline_days,
        margin=body.margin,
        min_items=body.min_items,
        webhook_url=body.webhook_url,
        enabled=body.enabled,
    )
    session.add(rule)
    session.commit()
    return _rule_out(rule, session)
