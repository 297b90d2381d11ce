"""Database rows -> API response models (one place, so every endpoint shows items alike)."""

from __future__ import annotations

from nazar.api.schemas import ItemOut, ReviewEntryOut
from nazar.store.models import Item, ReviewDecision


def item_out(item: Item) -> ItemOut:
    return ItemOut(
        id=item.id,
        source=item.source.name,
        external_id=item.external_id,
        text=item.text,
        url=item.url,
        published_at=item.published_at,
        received_at=item.received_at,
        state=item.state,
        error=item.error,
        lang=item.lang,
        label=item.label,
        final_label=item.final_label,
        score=item.score,
        flagged=item.flagged,
        themes=item.themes or [],
        model=item.model,
        scored_at=item.scored_at,
        review_state=item.review_state,
        reviewed_label=item.reviewed_label,
        reviewed_themes=item.reviewed_themes,
        metadata=item.extra or {},
    )


def review_out(entry: ReviewDecision) -> ReviewEntryOut:
    return ReviewEntryOut.model_validate(entry, from_attributes=True)
