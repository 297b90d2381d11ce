"""Quality of counter-narrative suggestions, and of the detector themes they depend on.

1. Theme precision/recall/F1 of the shipped char model (``EnsembleDetector.load().detector``),
   per theme and per language, on ``data/eval/themes_labelled.jsonl``: the themes ``nazar
   classify`` reports, and the narratives counter suggestions use (char model alone, and char
   model + semantic head).
2. Suggestion nDCG@5 and recall@5 per language on ``data/eval/counter_relevance.jsonl`` against
   the starter catalogue, with the detector's narratives and language (the realistic setting:
   ``EnsembleDetector.narratives``, as the CLI and the service; the char model's alone too), with
   gold themes (the upper bound the ranking could reach with perfect themes), and with no themes
   at all (closeness in content alone), for each similarity available (lexical always; the
   sentence encoder when ``nazar.embed`` loads).

Writes ``benchmarks/results/counter_quality.json`` and ``.txt``.
Run: ``.venv/bin/python benchmarks/counter_quality.py``
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from nazar.counter.catalogue import starter_catalogue  # noqa: E402
from nazar.counter.suggest import Post, Suggester, resolve_similarity  # noqa: E402
from nazar.detect.ensemble import EnsembleDetector  # noqa: E402
from nazar.types import LANGUAGES, POSITIVE_LABEL, THEMES  # noqa: E402

THEMES_FILE = ROOT / "data" / "eval" / "themes_labelled.jsonl"
RELEVANCE_FILE = ROOT / "data" / "eval" / "counter_relevance.jsonl"
OUT = ROOT / "benchmarks" / "results" / "counter_quality"
K = 5


def read(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3), "support": tp + fn}


def theme_scores(rows: list[dict[str, Any]], verdicts: list[Any]) -> dict[str, Any]:
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])  # tp, fp, fn
    flagged: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # positives, flagged positives
    for row, v in zip(rows, verdicts, strict=True):
        gold, pred = set(row["themes"]), set(v.themes)
        for scope in (row["lang"], "all"):
            for t in THEMES:
                c = counts[(scope, t)]
                c[0] += t in gold and t in pred
                c[1] += t not in gold and t in pred
                c[2] += t in gold and t not in pred
            if row["label"] == POSITIVE_LABEL:
                flagged[scope][0] += 1
                flagged[scope][1] += v.flagged
    out: dict[str, Any] = {}
    for scope in (*LANGUAGES, "all"):
        per_theme = {t: prf(*counts[(scope, t)]) for t in THEMES}
        micro = [sum(counts[(scope, t)][i] for t in THEMES) for i in range(3)]
        pos, hit = flagged[scope]
        out[scope] = {
            "micro": prf(*micro),
            "macro_f1": round(sum(s["f1"] for s in per_theme.values()) / len(THEMES), 3),
            "propaganda_flagged": f"{hit}/{pos}",
            "per_theme": per_theme,
        }
    return out


def ndcg_at_k(ranked: list[str], relevant: dict[str, int], k: int = K) -> float:
    dcg = sum((2 ** relevant.get(i, 0) - 1) / math.log2(r + 2) for r, i in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(r + 2) for r, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at_k(ranked: list[str], relevant: dict[str, int], k: int = K) -> float:
    return len(set(ranked[:k]) & set(relevant)) / len(relevant) if relevant else 0.0


def ranking_scores(
    rows: list[dict[str, Any]], posts: list[Post], suggester: Suggester
) -> dict[str, Any]:
    ranked = suggester.suggest_many(posts, K)
    per: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for row, sugg in zip(rows, ranked, strict=True):
        ids = [s.item_id for s in sugg]
        pair = (ndcg_at_k(ids, row["relevant"]), recall_at_k(ids, row["relevant"]))
        per[row["lang"]].append(pair)
        per["all"].append(pair)
    return {
        scope: {
            "ndcg@5": round(sum(p[0] for p in per[scope]) / len(per[scope]), 3),
            "recall@5": round(sum(p[1] for p in per[scope]) / len(per[scope]), 3),
            "n": len(per[scope]),
        }
        for scope in (*LANGUAGES, "all")
    }


@dataclass
class Tagged:
    """Narratives in the shape ``theme_scores`` reads (every labelled post counts as flagged:
    narratives are tagged whatever the label)."""

    themes: list[str]
    flagged: bool = True


def main() -> None:
    ensemble = EnsembleDetector.load()
    detector = ensemble.detector  # the char model alone, loaded once
    labelled = read(THEMES_FILE)
    t0 = time.perf_counter()
    verdicts = detector.classify_texts([r["text"] for r in labelled])
    themes = theme_scores(labelled, verdicts)
    texts = [r["text"] for r in labelled]
    narrative_themes = {
        "char": theme_scores(labelled, [Tagged(n.themes) for n in detector.narratives(texts)]),
        "joint": theme_scores(labelled, [Tagged(n.themes) for n in ensemble.narratives(texts)]),
    }

    rel = read(RELEVANCE_FILE)
    rel_verdicts = detector.classify_texts([r["text"] for r in rel])
    joint = ensemble.narratives([r["text"] for r in rel])
    settings = {
        # What `nazar counter suggest` and the service use: the narratives (themes whatever
        # the label) of the char model and the semantic head together.
        "detector": [Post.from_narrative(r["text"], n) for r, n in zip(rel, joint, strict=True)],
        # Diagnostic: the same narratives as plain sets of themes (every theme counts fully),
        # as the ranking used them before it weighed themes by probability.
        "detector_unweighted": [
            Post(r["text"], n.lang, n.themes) for r, n in zip(rel, joint, strict=True)
        ],
        # Diagnostic: the char model's narratives alone (no sentence encoder installed).
        "char_narratives": [
            Post.from_narrative(r["text"], n)
            for r, n in zip(rel, detector.narratives([r["text"] for r in rel]), strict=True)
        ],
        # Diagnostic: only the themes `nazar classify` reports (flagged texts only).
        "classify_themes": [
            Post(r["text"], v.lang, v.themes) for r, v in zip(rel, rel_verdicts, strict=True)
        ],
        "gold": [Post(r["text"], r["lang"], r["themes"]) for r in rel],
        "no_themes": [Post(r["text"], r["lang"], []) for r in rel],
    }
    rel_theme = theme_scores(
        [{**r, "label": POSITIVE_LABEL} for r in rel], rel_verdicts
    )  # every relevance post is propaganda
    similarities: dict[str, Any] = {"lexical": resolve_similarity("lexical")}
    try:
        similarities["encoder"] = resolve_similarity("encoder")
    except (ImportError, OSError, RuntimeError, ValueError) as exc:
        print(f"encoder not available ({exc}); lexical only", file=sys.stderr)
    catalogue = starter_catalogue()
    suggestions: dict[str, Any] = {}
    for sim_name, sim in similarities.items():
        suggester = Suggester(catalogue, similarity=sim)
        suggestions[sim_name] = {
            name: ranking_scores(rel, posts, suggester) for name, posts in settings.items()
        }
    result = {
        "model": detector.version,
        "catalogue_items": len(catalogue),
        "themes_labelled": {"file": str(THEMES_FILE.relative_to(ROOT)), "n": len(labelled)},
        "theme_detection": themes,
        "narrative_themes": narrative_themes,
        "theme_detection_on_relevance_posts": rel_theme,
        "relevance": {"file": str(RELEVANCE_FILE.relative_to(ROOT)), "n": len(rel), "k": K},
        "suggestions": suggestions,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.with_suffix(".json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    text = format_report(result)
    OUT.with_suffix(".txt").write_text(text, encoding="utf-8")
    print(text)


def format_report(result: dict[str, Any]) -> str:
    lines = [
        f"Counter-narrative quality, detector {result['model']}, "
        f"starter catalogue ({result['catalogue_items']} items)",
        "",
        f"1. Detector themes on {result['themes_labelled']['file']} "
        f"(n={result['themes_labelled']['n']}): F1 per theme and language",
        "",
    ]
    td = result["theme_detection"]
    scopes = (*LANGUAGES, "all")
    lines.append(f"{'theme':22}" + "".join(f"{s:>7}" for s in scopes))
    for t in THEMES:
        lines.append(f"{t:22}" + "".join(f"{td[s]['per_theme'][t]['f1']:7.2f}" for s in scopes))
    for key in ("precision", "recall", "f1"):
        lines.append(
            f"{'micro ' + key:22}" + "".join(f"{td[s]['micro'][key]:7.2f}" for s in scopes)
        )
    lines.append(f"{'macro f1':22}" + "".join(f"{td[s]['macro_f1']:7.2f}" for s in scopes))
    lines.append(
        f"{'propaganda flagged':22}" + "".join(f"{td[s]['propaganda_flagged']:>7}" for s in scopes)
    )
    rt = result["theme_detection_on_relevance_posts"]
    lines += [
        "",
        "   same, on the relevance posts (all propaganda): micro P/R/F1, flagged",
        "   "
        + "; ".join(
            f"{s} {rt[s]['micro']['precision']:.2f}/{rt[s]['micro']['recall']:.2f}/"
            f"{rt[s]['micro']['f1']:.2f} {rt[s]['propaganda_flagged']}"
            for s in scopes
        ),
        "",
        "   narratives (themes whatever the label, as counter suggestions use them) on the same "
        "labelled set: micro P/R/F1",
    ]
    for name, nt in result["narrative_themes"].items():
        lines.append(
            f"   {name:6} "
            + "; ".join(
                f"{s} {nt[s]['micro']['precision']:.2f}/{nt[s]['micro']['recall']:.2f}/"
                f"{nt[s]['micro']['f1']:.2f}"
                for s in scopes
            )
        )
    lines += [
        "",
        f"2. Suggestions on {result['relevance']['file']} (n={result['relevance']['n']}): "
        "nDCG@5 / recall@5",
        "",
        f"{'similarity, themes':30}" + "".join(f"{s:>13}" for s in scopes),
    ]
    for sim, settings in result["suggestions"].items():
        for name, per in settings.items():
            lines.append(
                f"{sim + ', ' + name:30}"
                + "".join(f"{per[s]['ndcg@5']:7.3f}/{per[s]['recall@5']:.2f}" for s in scopes)
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
