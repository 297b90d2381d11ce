"""``/api/v1/counter``: the counter-narrative catalogue, suggestions, engagement and gaps.

Reading, suggesting and recording the use of a suggestion need ``counter:read`` (reviewer,
analyst, admin); changing the catalogue needs ``counter:write`` (admin). Mounted by
``nazar.api.app`` when this module is installed.
"""

from __future__ import annotations

import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from nazar.api.auth import Principal
from nazar.api.deps import ServiceState, get_session, get_state, require
from nazar.counter import service
from nazar.counter.schemas import (
    CounterItemIn,
    CounterItemPatchIn,
    CounterItemReplaceIn,
    CounterItemResponse,
    CounterListOut,
    EventIn,
    EventOut,
    GapsOut,
    ImportOut,
    SuggestIn,
    SuggestOut,
    UsageOut,
    item_out,
)

router = APIRouter(prefix="/counter", tags=["counter"])

READ = Depends(require("counter:read"))
WRITE = Depends(require("counter:write"))
# The reporting window of the usage and gap reports.
LastDays = Annotated[int | None, Query(ge=1, le=3650, description="only the last N days")]


def _fail(exc: service.CounterError) -> HTTPException:
    return HTTPException(exc.status, exc.detail)


def _response(session: Session, item_id: str) -> CounterItemResponse:
    try:
        entry, source = service.get_entry(session, item_id)
    except service.CounterError as exc:
        raise _fail(exc) from None
    return CounterItemResponse(**item_out(entry).model_dump(), source=source)


def _item(record: dict[str, Any]) -> Any:
    try:
        return service.item_from_record(record)
    except service.CounterError as exc:
        raise _fail(exc) from None


@router.get(
    "",
    response_model=CounterListOut,
    summary="List the catalogue",
    description="Every status by default (filter with `status=approved` for what is "
    "suggested). `source` is `starter` while nothing was ever written to the catalogue: the "
    "items are then the examples shipped with Nazar.",
)
def list_counter(
    _: Principal = READ,
    session: Session = Depends(get_session),
    lang: str | None = None,
    theme: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    q: Annotated[str | None, Query(max_length=200, description="text contains")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CounterListOut:
    entries, total, source = service.list_items(
        session,
        lang=lang,
        theme=theme,
        kind=kind,
        status=status,
        q=q,
        limit=limit,
        offset=offset,
    )
    return CounterListOut(items=[item_out(e) for e in entries], total=total, source=source)


@router.post(
    "",
    response_model=CounterItemResponse,
    status_code=201,
    summary="Add an item (409 if the id exists)",
)
def create_counter(
    body: CounterItemIn,
    _: Principal = WRITE,
    session: Session = Depends(get_session),
) -> CounterItemResponse:
    try:
        service.create_item(session, _item(body.model_dump()))
    except service.CounterError as exc:
        raise _fail(exc) from None
    return _response(session, body.item_id)


@router.post(
    "/import",
    response_model=ImportOut,
    summary="Import many items (upsert by item_id)",
    description='A JSON list of catalogue records, or `{"items": [...]}`. Records with '
    "problems are reported in `errors` (index from 0) and skipped; the others are created or "
    "updated.",
)
def import_counter(
    body: Annotated[list[Any] | dict[str, Any], Body()],
    _: Principal = WRITE,
    session: Session = Depends(get_session),
) -> ImportOut:
    if isinstance(body, dict):
        if set(body) != {"items"} or not isinstance(body["items"], list):
            raise HTTPException(422, 'send a JSON list of records, or {"items": [...]}')
        body = body["items"]
    try:
        result = service.import_records(session, body)
    except service.CounterError as exc:
        raise _fail(exc) from None
    return ImportOut(**result.to_dict())


@router.get(
    "/export",
    summary="Download the catalogue (JSONL or CSV)",
    description="The active catalogue (the starter one if nothing was imported; header "
    "`X-Nazar-Catalogue-Source` says which), in the format `nazar counter validate` and "
    "`POST /counter/import` read.",
    response_class=StreamingResponse,
)
def export_counter(
    _: Principal = READ,
    session: Session = Depends(get_session),
    fmt: Annotated[Literal["jsonl", "csv"], Query(alias="format")] = "jsonl",
    status: str | None = None,
) -> StreamingResponse:
    from nazar.counter.catalogue import dump_csv, dump_jsonl

    items, source = service.export_items(session, status)
    buffer = io.StringIO()
    (dump_csv if fmt == "csv" else dump_jsonl)(items, buffer)
    media = "text/csv" if fmt == "csv" else "application/x-ndjson"
    return StreamingResponse(
        iter([buffer.getvalue().encode("utf-8")]),
        media_type=f"{media}; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="counter_catalogue.{fmt}"',
            "X-Nazar-Catalogue-Source": source,
        },
    )


@router.post(
    "/suggest",
    response_model=SuggestOut,
    summary="Suggest material for a text or a stored post",
    description="`{text, lang?, themes?, k?}` (the detector supplies a missing language or "
    "themes) or `{item_id, k?}` for a stored post (the reviewer's themes if reviewed, else the "
    "model's). Only approved items are suggested.",
)
def suggest_counter(
    body: SuggestIn,
    _: Principal = READ,
    session: Session = Depends(get_session),
    state: ServiceState = Depends(get_state),
) -> SuggestOut:
    from nazar.types import THEMES

    if (body.text is None) == (body.item_id is None):
        raise HTTPException(422, "send either text or item_id")
    if body.item_id is not None and (body.lang is not None or body.themes is not None):
        raise HTTPException(422, "lang and themes go with text, not item_id")
    unknown = [t for t in body.themes or [] if t not in THEMES]
    if unknown:
        raise HTTPException(422, f"unknown themes: {', '.join(unknown)}")
    try:
        if body.item_id is not None:
            post = service.post_for_item(session, body.item_id, lambda: state.detector)
        else:
            post = service.post_for_text(
                body.text or "", body.lang, body.themes, lambda: state.detector
            )
    except service.CounterError as exc:
        raise _fail(exc) from None
    return _suggest_out(session, post, body.k)


@router.get(
    "/suggest/item/{item_id}",
    response_model=SuggestOut,
    summary="Suggestions for a stored post (the review queue's side panel)",
)
def suggest_for_item(
    item_id: int,
    _: Principal = READ,
    session: Session = Depends(get_session),
    state: ServiceState = Depends(get_state),
    k: Annotated[int, Query(ge=1, le=50)] = 5,
) -> SuggestOut:
    try:
        post = service.post_for_item(session, item_id, lambda: state.detector)
    except service.CounterError as exc:
        raise _fail(exc) from None
    return _suggest_out(session, post, k)


def _suggest_out(session: Session, post: service.PostInfo, k: int) -> SuggestOut:
    found, source = service.suggest_for(session, post, k)
    return SuggestOut(
        suggestions=[s.to_dict() for s in found],
        lang=post.lang,
        themes=post.themes,
        item_id=post.item_id,
        source=source,
    )


@router.post(
    "/events",
    response_model=EventOut,
    status_code=201,
    summary="Record that a suggestion was shown, clicked or sent",
)
def post_event(
    body: EventIn,
    principal: Principal = READ,
    session: Session = Depends(get_session),
) -> EventOut:
    try:
        row = service.record_event(
            session,
            counter_item_id=body.counter_item_id,
            event=body.event,
            actor=principal.name,
            item_id=body.item_id,
            theme=body.theme,
            lang=body.lang,
        )
    except service.CounterError as exc:
        raise _fail(exc) from None
    return EventOut.model_validate(row, from_attributes=True)


@router.get(
    "/usage",
    response_model=UsageOut,
    summary="Shown/clicked/sent counts per theme and language",
)
def get_usage(
    _: Principal = READ,
    session: Session = Depends(get_session),
    days: LastDays = None,
) -> UsageOut:
    return UsageOut(**service.usage(session, days))


@router.get(
    "/gaps",
    response_model=GapsOut,
    summary="Narratives seen in flagged posts with no material in their language",
)
def get_gaps(
    _: Principal = READ,
    session: Session = Depends(get_session),
    days: LastDays = None,
) -> GapsOut:
    return GapsOut(**service.gaps(session, days))


@router.get("/{item_id}", response_model=CounterItemResponse, summary="One catalogue item")
def get_counter(
    item_id: str,
    _: Principal = READ,
    session: Session = Depends(get_session),
) -> CounterItemResponse:
    return _response(session, item_id)


@router.put(
    "/{item_id}", response_model=CounterItemResponse, summary="Replace an item (every field)"
)
def put_counter(
    item_id: str,
    body: CounterItemReplaceIn,
    _: Principal = WRITE,
    session: Session = Depends(get_session),
) -> CounterItemResponse:
    record = body.model_dump()
    record["item_id"] = record["item_id"] or item_id
    try:
        service.replace_item(session, item_id, _item(record))
    except service.CounterError as exc:
        raise _fail(exc) from None
    return _response(session, item_id)


@router.patch(
    "/{item_id}",
    response_model=CounterItemResponse,
    summary="Change some fields of an item (e.g. approve a draft)",
)
def patch_counter(
    item_id: str,
    body: CounterItemPatchIn,
    _: Principal = WRITE,
    session: Session = Depends(get_session),
) -> CounterItemResponse:
    try:
        service.update_item(session, item_id, body.model_dump(exclude_unset=True))
    except service.CounterError as exc:
        raise _fail(exc) from None
    return _response(session, item_id)


@router.delete("/{item_id}", status_code=204, summary="Delete an item")
def delete_counter(
    item_id: str,
    _: Principal = WRITE,
    session: Session = Depends(get_session),
) -> Response:
    try:
        service.delete_item(session, item_id)
    except service.CounterError as exc:
        raise _fail(exc) from None
    return Response(status_code=204)
