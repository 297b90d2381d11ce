"""POST /classify: score texts without storing them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException

from nazar.api.auth import Principal
from nazar.api.deps import ServiceState, get_state, require
from nazar.api.schemas import ClassifyIn, ClassifyOut, VerdictOut

router = APIRouter(tags=["classify"])


@router.post("/classify", response_model=ClassifyOut, summary="Score one text or up to 100")
def classify(
    body: ClassifyIn,
    _: Principal = Depends(require("classify")),
    state: ServiceState = Depends(get_state),
) -> ClassifyOut:
    texts = ([body.text] if body.text is not None else []) + (body.texts or [])
    if not texts:
        raise HTTPException(422, "give `text` or `texts`")
    if len(texts) > 100:
        raise HTTPException(422, "at most 100 texts per request")
    detector = state.detector
    verdicts = detector.classify_texts(texts)
    results = []
    for v in verdicts:
        flagged = v.flagged
        if body.threshold is not None and v.score is not None:
            flagged = v.score >= body.threshold
        results.append(
            VerdictOut(
                label=v.label,
                flagged=flagged,
                score=v.score,
                scores=v.scores,
                lang=v.lang,
                themes=v.themes,
                evidence=[e.to_dict() for e in v.evidence],
                model=v.model,
                error=v.error,
            )
        )
    return ClassifyOut(results=results)
