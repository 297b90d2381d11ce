"""The review queue and reviewers' decisions, each kept in the append-only audit log."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, or_, select
from sqlalchemy.orm import Session

from nazar.store.models import REVIEW_ACTIONS, Item, ReviewDecision
from nazar.types import LABELS, POSITIVE_LABEL, THEMES

# Items the model is unsure about are reviewed too: a reviewer's word on them teaches most.
UNCERTAIN_LOW = 0.35
# Narratives that put people in danger soonest come first among equal scores.
SEVERE_THEMES = ("call_to_join", "dehumanization", "takfir")


class ReviewError(ValueError):
    pass


def queue_filter():
    """Flagged or uncertain items nobody has reviewed yet."""
    return and_(
        Item.state == "scored",
        Item.review_state.is_(None),
        or_(Item.flagged.is_(True), Item.score >= UNCERTAIN_LOW),
    )


def queue(session: Session, limit: int = 50, offset: int = 0, source_id: int | None = None):
    """Priority: flagged first, then score, then severe themes, then the oldest.

    JSON containment differs by backend, so the theme severity is applied in Python.
    """
    q = select(Item).where(queue_filter())
    if source_id is not None:
        q = q.where(Item.source_id == source_id)
    q = q.order_by(case((Item.flagged.is_(True), 0), else_=1), Item.score.desc(), Item.id)
    # Fetch a little more than asked so severe themes can move up among near-equal scores.
    rows = list(session.scalars(q.offset(offset).limit(limit * 2)))
    rows.sort(key=lambda it: (not it.flagged, -(round(it.score or 0.0, 1) + _severity(it)), it.id))
    return rows[:limit]


def _severity(item: Item) -> float:
    return 0.05 if any(t in SEVERE_THEMES for t in item.themes or []) else 0.0


@dataclass(slots=True)
class Decision:
    action: str
    label: str | None = None
    themes: list[str] | None = None
    note: str | None = None


def decide(session: Session, item: Item, reviewer: str, decision: Decision) -> ReviewDecision:
    """Apply a reviewer's decision and append it to the audit log (one transaction).

    confirm: the model's label stands; reject: the item is not ``violent_extremist`` (relabelled
    to ``label`` if given, else ``other``); relabel: ``label`` (and ``themes``) replace the
    model's.
    """
    if decision.action not in REVIEW_ACTIONS:
        raise ReviewError(f"action must be one of {', '.join(REVIEW_ACTIONS)}")
    if item.state != "scored":
        raise ReviewError("only scored items can be reviewed")
    if decision.label is not None and decision.label not in LABELS:
        raise ReviewError(f"unknown label {decision.label!r}; one of {', '.join(LABELS)}")
    unknown = [t for t in decision.themes or [] if t not in THEMES]
    if unknown:
        raise ReviewError(f"unknown themes: {', '.join(unknown)}")
    label_before = item.final_label
    themes_before = list(item.reviewed_themes or item.themes or [])
    if decision.action == "confirm":
        label_after = label_before
        themes_after = decision.themes if decision.themes is not None else themes_before
    elif decision.action == "reject":
        label_after = decision.label or "other"
        if label_after == POSITIVE_LABEL:
            raise ReviewError("a rejection cannot keep the label violent_extremist")
        themes_after = decision.themes or []
    else:
        if decision.label is None:
            raise ReviewError("relabel needs a label")
        label_after = decision.label
        themes_after = decision.themes if decision.themes is not None else themes_before
    entry = ReviewDecision(
        item_id=item.id,
        reviewer=reviewer,
        action=decision.action,
        label_before=label_before,
        label_after=label_after,
        themes_before=themes_before,
        themes_after=themes_after,
        note=decision.note,
    )
    session.add(entry)
    item.review_state = {"confirm": "confirmed", "reject": "rejected"}.get(
        decision.action, "relabelled"
    )
    item.reviewed_label = label_after
    item.reviewed_themes = themes_after
    session.commit()
    return entry


def history(session: Session, item_id: int) -> list[ReviewDecision]:
    q = select(ReviewDecision).where(ReviewDecision.item_id == item_id).order_by(ReviewDecision.id)
    return list(session.scalars(q))


def reviewed_examples(session: Session) -> list[dict[str, object]]:
    """Reviewed items as labelled training rows (``nazar train --include-reviews``)."""
    q = select(Item).where(Item.review_state.is_not(None), Item.text.is_not(None))
    return [
        {
            "id": f"review-{it.id}",
            "text": it.text,
            "label": it.reviewed_label,
            "lang": it.lang,
            "themes": it.reviewed_themes or [],
            "source": "review",
        }
        for it in session.scalars(q)
    ]
