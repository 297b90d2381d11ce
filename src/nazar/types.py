"""Plain data types passed between pipeline stages: an ``Item`` in, a ``Verdict`` out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LABELS: tuple[str, ...] = (
    "violent_extremist",
    "news",
    "counter_narrative",
    "religious",
    "other",
)
POSITIVE_LABEL = "violent_extremist"

THEMES: tuple[str, ...] = (
    "call_to_join",
    "defend_the_oppressed",
    "religious_legitimacy",
    "military_might",
    "utopia_governance",
    "martyrdom_reward",
    "takfir",
    "revenge_grievance",
    "dehumanization",
)

LANGUAGES: tuple[str, ...] = ("ar", "ru", "kk", "en")


@dataclass(slots=True)
class Narrative:
    """The narrative of a text whatever its label: what counter-material has to answer.

    ``themes``: the themes worth naming (probability at or above the detector's narrative
    threshold, most likely first, then those of pro-group lexicon cues). ``weights``: the
    detector's probability of every theme (a cue's theme at least the threshold), so a
    ranking can favour the narrative the detector is surest of.
    """

    lang: str
    themes: list[str]
    weights: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class Item:
    """One text to judge, with where it came from."""

    id: str
    text: str | None
    input: dict[str, Any] = field(default_factory=dict)
    # Set when the record could not be read well enough to score (kept, never dropped).
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Evidence:
    """A span of the *original* text that drove the decision, and why."""

    start: int
    end: int
    text: str
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text, "why": self.why}


@dataclass(slots=True)
class Verdict:
    """The detector's answer for one item; ``to_dict`` is the CLI's JSONL contract."""

    id: str
    label: str | None
    flagged: bool
    score: float | None
    scores: dict[str, float]
    lang: str
    themes: list[str]
    evidence: list[Evidence]
    model: str
    input: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        # Written out rather than ``dataclasses.asdict``: its recursive deep copy was 60% of
        # `nazar classify`'s main-process time. Containers are fresh; values inside ``input``
        # (the caller's own record) are shared.
        out: dict[str, Any] = {
            "id": self.id,
            "label": self.label,
            "flagged": self.flagged,
            "score": self.score,
            "scores": dict(self.scores),
            "lang": self.lang,
            "themes": list(self.themes),
            "evidence": [e.to_dict() for e in self.evidence],
            "model": self.model,
            "input": dict(self.input),
        }
        if self.error:
            out["error"] = self.error
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out
