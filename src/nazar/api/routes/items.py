"""Ingest (POST /items), item lookup and search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from nazar.api.auth import Principal
from nazar.api.deps import ServiceState, get_session, get_state, require
from nazar.api.schemas import IngestIn, IngestOut, ItemDetailOut, ItemListOut
from nazar.api.views import item_out, review_out
from nazar.monitor.ingest import get_or_create_source, ingest
from nazar.monitor.review import history
from nazar.monitor.sources import IncomingItem
from nazar.store.models import Item, Source, Verdict

router = APIRouter(tags=["items"])


@router.post(
    "/items",
    response_model=IngestOut,
    summary="Ingest a batch of items (at most 1,000)",
    description="Stores every item durably before answering; re-sending an item with the same "
    "(source, external_id) counts it as a duplicate and stores nothing. A source that does "
    "not exist yet is created with kind `push`.",
)
def post_items(
    body: IngestIn,
    _: Principal = Depends(require("items:write")),
    session: Session = Depends(get_session),
    state: ServiceState = Depends(get_state),
) -> IngestOut:
    source = get_or_create_source(session, body.source, "push")
    new = [
        IncomingItem(
            external_id=it.external_id,
            text=it.text,
            published_at=it.published_at,
            url=it.url,
            author=it.author,
            metadata=dict(it.model_extra or {}),
        )
        for it in body.items
    ]
    result = ingest(session, source, new)
    if state.worker is not None and result.accepted:
        state.worker.notify()
    return IngestOut(accepted=result.accepted, duplicates=result.duplicates, errors=result.errors)


@router.get("/items/{item_id}", response_model=ItemDetailOut)
def get_item(
    item_id: int,
    _: Principal = Depends(require("items:read")),
    session: Session = Depends(get_session),
) -> ItemDetailOut:
    item = session.get(Item, item_id)
    if item is None:
        raise HTTPException(404, f"no item {item_id}")
    latest = session.scalar(
        select(Verdict).where(Verdict.item_id == item_id).order_by(Verdict.id.desc()).limit(1)
    )
    n_verdicts = session.scalar(select(func.count()).where(Verdict.item_id == item_id)) or 0
    out = ItemDetailOut(
        **item_out(item).model_dump(),
        scores=latest.scores if latest else {},
        evidence=latest.evidence if latest else [],
        matches=latest.matches if latest else [],
        verdicts=n_verdicts,
        reviews=[review_out(r) for r in history(session, item_id)],
    )
    return out


@router.get("/items", response_model=ItemListOut)
def list_items(
    _: Principal = Depends(require("items:read")),
    session: Session = Depends(get_session),
    source: str | None = None,
    label: Annotated[
        str | None, Query(description="final label (reviewer's, else model's)")
    ] = None,
    lang: str | None = None,
    flagged: bool | None = None,
    state: str | None = None,
    q: Annotated[str | None, Query(max_length=200, description="text contains")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ItemListOut:
    conditions = []
    if source is not None:
        conditions.append(
            Item.source_id == select(Source.id).where(Source.name == source).scalar_subquery()
        )
    if label is not None:
        conditions.append(func.coalesce(Item.reviewed_label, Item.label) == label)
    if lang is not None:
        conditions.append(Item.lang == lang)
    if flagged is not None:
        conditions.append(Item.flagged.is_(flagged))
    if state is not None:
        conditions.append(Item.state == state)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(or_(Item.text.ilike(pattern, escape="\\"), Item.external_id == q))
    total = session.scalar(select(func.count()).select_from(Item).where(*conditions)) or 0
    rows = session.scalars(
        select(Item).where(*conditions).order_by(Item.id.desc()).offset(offset).limit(limit)
    )
    return ItemListOut(items=[item_out(it) for it in rows], total=total)
