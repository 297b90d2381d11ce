"""Throughput and peak memory of `nazar classify` against a plain TF-IDF baseline, same run.

The baseline is the one the detection-engine issue names: scikit-learn char_wb 2-5 TF-IDF +
LogisticRegression, timed on vectorise + predict only (its model already in memory). Nazar is
timed twice: in-process (`Detector.classify`, model loaded: normalisation, language, lexicon,
model and evidence included, one core) and as the real command (`nazar classify FILE -o OUT`,
process start and model load included; once on the posts and once on ten times as many, to
show the steady state with its worker processes). Each figure is the median of --runs runs;
the texts are real posts of all four languages from ../shared/data.

    .venv/bin/python benchmarks/classify_speed.py [--n 6000] [--runs 3] [--mode fast]

--mode is passed to `nazar classify` (default: the command's own default mode); the in-process
figure is always the n-gram detector alone (`Detector.classify`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED = Path(os.environ.get("NAZAR_SHARED_DATA", REPO.parent / "shared" / "data"))
FILES = {
    "ar": "ar_offensive_osact4.jsonl",
    "ru": "ru_sensitive_topics.jsonl",
    "kk": "kk_news_sentences.jsonl",
    "en": "en_isis_accounts_tweets.jsonl",
}


def sample_posts(n: int) -> list[dict]:
    rng = random.Random(0)
    per = n // len(FILES)
    rows: list[dict] = []
    for lang, name in FILES.items():
        with open(SHARED / name, encoding="utf-8") as f:
            texts = [json.loads(line)["text"] for line in f if line.strip()]
        rng.shuffle(texts)
        rows += [{"id": f"{lang}-{i}", "lang": lang, "text": t} for i, t in enumerate(texts[:per])]
    rng.shuffle(rows)
    return rows


def baseline_seconds(texts: list[str], runs: int) -> float:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    rng = random.Random(1)
    train = rng.sample(texts, min(3000, len(texts)))
    y = [i % 5 for i in range(len(train))]
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    clf = LogisticRegression(max_iter=200).fit(vec.fit_transform(train), y)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        clf.predict_proba(vec.transform(texts))
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def nazar_inprocess_seconds(texts: list[str], runs: int) -> float:
    from nazar.detect.pipeline import Detector
    from nazar.types import Item

    detector = Detector.load()
    items = [Item(id=str(i), text=t) for i, t in enumerate(texts)]
    detector.classify(items[:50])  # warm the language identifier and caches
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for start in range(0, len(items), 512):
            detector.classify(items[start : start + 512])
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def nazar_cli(path: Path, runs: int, extra: tuple[str, ...] = ()) -> tuple[float, float]:
    """Median wall seconds and peak RSS (MiB) of the real command."""
    exe = Path(sys.executable).parent / "nazar"
    times, peaks = [], []
    for _ in range(runs):
        out = path.with_suffix(".out.jsonl")
        t0 = time.perf_counter()
        command = ["/usr/bin/env", "python3", "-c", _RUN_AND_MEASURE, str(exe), str(path)]
        proc = subprocess.run(
            [*command, str(out), *extra],
            capture_output=True,
            text=True,
            check=True,
        )
        times.append(time.perf_counter() - t0)
        peaks.append(float(proc.stdout.strip().splitlines()[-1]))
    return statistics.median(times), max(peaks)


# A tiny parent that runs the command and reports the child's peak RSS, so the number is the
# command's own and not this benchmark's.
_RUN_AND_MEASURE = """
import resource, subprocess, sys
subprocess.run([sys.argv[1], 'classify', sys.argv[2], '-o', sys.argv[3], *sys.argv[4:]], check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=6000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", default=str(HERE / "results" / "classify_speed.json"))
    parser.add_argument("--mode", help="passed to `nazar classify --mode` (default: its own)")
    args = parser.parse_args()
    extra = ("--mode", args.mode) if args.mode else ()

    rows = sample_posts(args.n)
    texts = [r["text"] for r in rows]
    base = baseline_seconds(texts, args.runs)
    inproc = nazar_inprocess_seconds(texts, args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "posts.jsonl"
        lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        path.write_text(lines, "utf-8")
        cli_s, cli_peak = nazar_cli(path, args.runs, extra)
        # Ten times the posts: process start and model load are paid once, as in real use.
        big = Path(tmp) / "posts10.jsonl"
        big.write_text(lines * 10, "utf-8")
        big_s, big_peak = nazar_cli(big, args.runs, extra)
    n = len(texts)
    result = {
        "texts": n,
        "runs": args.runs,
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "baseline_tfidf_char_wb_2_5_logreg": {"seconds": base, "texts_per_s": n / base},
        "nazar_inprocess": {"seconds": inproc, "texts_per_s": n / inproc},
        "nazar_classify_cli": {
            "seconds": cli_s,
            "texts_per_s": n / cli_s,
            "peak_rss_mib": cli_peak,
            "includes": "process start, model load, reading and writing JSONL",
            "mode": args.mode or "default",
        },
        "nazar_classify_cli_10x": {
            "texts": 10 * n,
            "seconds": big_s,
            "texts_per_s": 10 * n / big_s,
            "peak_rss_mib": big_peak,
        },
        "ratio_inprocess_vs_baseline": (n / inproc) / (n / base),
        "ratio_cli_10x_vs_baseline": (10 * n / big_s) / (n / base),
        "ratio_cli_vs_baseline": (n / cli_s) / (n / base),
        "benchmark_peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
