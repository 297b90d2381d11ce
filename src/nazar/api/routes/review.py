"""The review queue and reviewers' decisions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nazar.api.auth import Principal
from nazar.api.deps import get_session, require
from nazar.api.schemas import ItemListOut, ReviewIn, ReviewOut
from nazar.api.views import item_out, review_out
from nazar.monitor.review import Decision, ReviewError, decide, queue, queue_filter
from nazar.store.models import Item

router = APIRouter(tags=["review"])


@router.get("/review/queue", response_model=ItemListOut, summary="Flagged and uncertain items")
def review_queue(
    _: Principal = Depends(require("review")),
    session: Session = Depends(get_session),
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ItemListOut:
    total = session.scalar(select(func.count()).select_from(Item).where(queue_filter())) or 0
    items = queue(session, limit=limit, offset=offset)
    return ItemListOut(items=[item_out(it) for it in items], total=total)


@router.post("/review/{item_id}", response_model=ReviewOut, summary="Confirm, reject or relabel")
def review_item(
    item_id: int,
    body: ReviewIn,
    principal: Principal = Depends(require("review")),
    session: Session = Depends(get_session),
) -> ReviewOut:
    item = session.get(Item, item_id)
    if item is None:
        raise HTTPException(404, f"no item {item_id}")
    try:
        entry = decide(
            session,
            item,
            reviewer=principal.name,
            decision=Decision(body.action, body.label, body.themes, body.note),
        )
    except ReviewError as exc:
        raise HTTPException(422, str(exc)) from None
    return ReviewOut(decision=review_out(entry), item=item_out(item))
