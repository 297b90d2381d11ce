"""Measures that matter (TAXONOMY.md): flagged F1, per-class scores, false-positive rates on
religious and news texts, per language, calibration error, with bootstrap intervals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nazar.types import LABELS, LANGUAGES, POSITIVE_LABEL

PROTECTED_LABELS = ("religious", "news")


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def flagged_scores(gold: np.ndarray, flagged: np.ndarray) -> dict[str, float]:
    tp = int((gold & flagged).sum())
    fp = int((~gold & flagged).sum())
    fn = int((gold & ~flagged).sum())
    p, r, f = _prf(tp, fp, fn)
    return {"precision": p, "recall": r, "f1": f, "tp": tp, "fp": fp, "fn": fn}


def expected_calibration_error(gold: np.ndarray, score: np.ndarray, bins: int = 10) -> float:
    """ECE of ``score`` as the probability that the text is violent_extremist."""
    if len(score) == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(score, edges[1:-1]), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        mask = idx == b
        if mask.any():
            ece += mask.mean() * abs(score[mask].mean() - gold[mask].mean())
    return float(ece)


def _bootstrap(
    fn: Any, n: int, rounds: int, seed: int = 0, alpha: float = 0.05
) -> tuple[float, float] | None:
    if n == 0 or rounds <= 0:
        return None
    rng = np.random.default_rng(seed)
    values = [fn(rng.integers(0, n, n)) for _ in range(rounds)]
    lo, hi = np.quantile(values, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def evaluate(
    gold_labels: Sequence[str],
    pred_labels: Sequence[str],
    scores: Sequence[float],
    langs: Sequence[str],
    bootstrap_rounds: int = 200,
) -> dict[str, Any]:
    """All measures for one labelled set; JSON-serialisable."""
    gold = np.array(gold_labels)
    pred = np.array(pred_labels)
    score = np.array(scores, dtype=float)
    # Languages outside the four in scope are reported together: a handful of stray rows per
    # language would only clutter the report.
    lang = np.array([lg if lg in LANGUAGES else "other" for lg in langs])
    g_pos = gold == POSITIVE_LABEL
    p_pos = pred == POSITIVE_LABEL
    n = len(gold)

    per_class = {}
    for label in LABELS:
        tp = int(((gold == label) & (pred == label)).sum())
        fp = int(((gold != label) & (pred == label)).sum())
        fn = int(((gold == label) & (pred != label)).sum())
        p, r, f = _prf(tp, fp, fn)
        per_class[label] = {
            "precision": p,
            "recall": r,
            "f1": f,
            "support": int((gold == label).sum()),
        }

    confusion = {g: {p: int(((gold == g) & (pred == p)).sum()) for p in LABELS} for g in LABELS}

    def fpr_on(label: str, mask: np.ndarray | None = None) -> dict[str, Any]:
        rows = gold == label if mask is None else (gold == label) & mask
        k = int(rows.sum())
        rate = float(p_pos[rows].mean()) if k else None
        idx = np.flatnonzero(rows)
        ci = _bootstrap(lambda s: p_pos[idx[s]].mean(), k, bootstrap_rounds) if k else None
        return {"n": k, "fpr": rate, "ci95": ci}

    def flagged_block(mask: np.ndarray) -> dict[str, Any]:
        idx = np.flatnonzero(mask)
        out = flagged_scores(g_pos[idx], p_pos[idx])
        out["n"] = len(idx)
        out["positives"] = int(g_pos[idx].sum())
        out["f1_ci95"] = _bootstrap(
            lambda s: flagged_scores(g_pos[idx[s]], p_pos[idx[s]])["f1"], len(idx), bootstrap_rounds
        )
        out["ece"] = expected_calibration_error(g_pos[idx].astype(float), score[idx])
        out["accuracy"] = float((gold[idx] == pred[idx]).mean()) if len(idx) else None
        out["fpr"] = {label: fpr_on(label, mask) for label in PROTECTED_LABELS}
        out["fpr_non_extremist"] = fpr_on_any(mask)
        return out

    def fpr_on_any(mask: np.ndarray) -> dict[str, Any]:
        rows = (~g_pos) & mask
        k = int(rows.sum())
        return {"n": k, "fpr": float(p_pos[rows].mean()) if k else None}

    return {
        "n": n,
        "overall": flagged_block(np.ones(n, dtype=bool)),
        "per_language": {lg: flagged_block(lang == lg) for lg in sorted(set(lang.tolist()))},
        "per_class": per_class,
        "confusion": confusion,
    }


def format_report(result: dict[str, Any], title: str = "") -> str:
    """A plain-text rendering of ``evaluate``'s result."""
    lines = [title] if title else []

    def pct(x: float | None) -> str:
        return "   -  " if x is None else f"{100 * x:5.1f}%"

    def block(name: str, b: dict[str, Any]) -> str:
        ci = b.get("f1_ci95")
        ci_s = f"[{ci[0]:.2f}-{ci[1]:.2f}]" if ci else ""
        rel, news = b["fpr"]["religious"], b["fpr"]["news"]
        return (
            f"{name:8} n={b['n']:6}  pos={b['positives']:5}  P={b['precision']:.3f} "
            f"R={b['recall']:.3f} F1={b['f1']:.3f} {ci_s:13} ECE={b['ece']:.3f}  "
            f"FPR religious={pct(rel['fpr'])} (n={rel['n']})  news={pct(news['fpr'])} "
            f"(n={news['n']})  all-neg={pct(b['fpr_non_extremist']['fpr'])}"
        )

    lines.append(block("overall", result["overall"]))
    for lang, b in result["per_language"].items():
        lines.append(block(lang, b))
    lines.append("")
    lines.append(f"{'class':18} {'P':>6} {'R':>6} {'F1':>6} {'support':>8}")
    for label, m in result["per_class"].items():
        lines.append(
            f"{label:18} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} {m['support']:8}"
        )
    lines.append("")
    lines.append("confusion (rows gold, columns predicted): " + " ".join(lab[:6] for lab in LABELS))
    for g, row in result["confusion"].items():
        lines.append(f"{g:18} " + " ".join(f"{row[p]:6}" for p in LABELS))
    return "\n".join(lines)
