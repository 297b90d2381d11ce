"""Sources: where items come from (push, file import, RSS/Atom feeds, Telegram exports)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nazar.api.auth import Principal
from nazar.api.deps import ServiceState, get_session, get_state, require
from nazar.api.schemas import SourceIn, SourceOut
from nazar.store.models import Item, Source

router = APIRouter(tags=["sources"])


def _out(source: Source, n: int) -> SourceOut:
    return SourceOut(
        id=source.id,
        name=source.name,
        kind=source.kind,
        settings=source.settings or {},
        enabled=source.enabled,
        created_at=source.created_at,
        items=n,
    )


@router.get("/sources", response_model=list[SourceOut])
def list_sources(
    _: Principal = Depends(require("sources:read")), session: Session = Depends(get_session)
) -> list[SourceOut]:
    q = select(Item.source_id, func.count()).group_by(Item.source_id)
    counts = {source_id: n for source_id, n in session.execute(q)}
    rows = session.scalars(select(Source).order_by(Source.name))
    return [_out(s, counts.get(s.id, 0)) for s in rows]


@router.post("/sources", response_model=SourceOut, status_code=201)
def create_source(
    body: SourceIn,
    _: Principal = Depends(require("sources:write")),
    session: Session = Depends(get_session),
    state: ServiceState = Depends(get_state),
) -> SourceOut:
    if session.scalar(select(Source.id).where(Source.name == body.name)) is not None:
        raise HTTPException(409, f"a source named {body.name!r} exists")
    if body.kind == "rss" and not str(body.settings.get("url", "")).startswith(
        ("http://", "https://")
    ):
        raise HTTPException(422, "an rss source needs settings.url (http or https)")
    source = Source(name=body.name, kind=body.kind, settings=body.settings, enabled=body.enabled)
    session.add(source)
    session.commit()
    if source.kind == "rss" and state.feeds is not None:
        state.feeds.refresh_now()  # start polling the new feed without waiting for the next tick
    return _out(source, 0)
