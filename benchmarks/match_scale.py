"""Scale of the exact/near-duplicate index: build rate, peak memory, lookups/s, recall.

Run:  .venv/bin/python benchmarks/match_scale.py --n 10000000   (the recorded run; ~5-10 min)
      .venv/bin/python benchmarks/match_scale.py                (100,000 rows, seconds)

Data. Synthetic tweet-length texts, generated directly as code-point arrays (no Python
strings, so 10 million cost seconds): 10-30 words drawn from a vocabulary of the canonical
words of real posts (en_isis_accounts_tweets, ar_offensive_osact4, ru_sensitive_topics, with
their frequencies), i.e. 60-200 letters after canonicalisation, the length of a tweet. The
signatures are computed by the production code (``minhash_codepoints``, ``band_keys``) from
those code points; the exact key of a synthetic text is a vectorised 64-bit hash of its code
points (real texts use BLAKE2b of the canonical string: a per-text Python call). Measured
separately on real tweets: the rate of the full path text -> canonical -> signature, which
is dominated by ``nazar.text.normalize`` (pure Python).

Measured:
* signature rate (synthetic code points -> MinHash, 8-bit signature, band keys);
* index build rate (signatures -> sorted exact array + 32 sorted band arrays), and the total;
* peak memory: ``ru_maxrss`` of the process (the high-water mark of resident memory, which
  includes everything: numpy arrays, the interpreter, memory-mapped pages touched);
* save time and size on disk, load time (``np.load(mmap_mode="r")``);
* lookups/s on the loaded (memory-mapped) index in batches of 1,000: near-duplicate queries
  (copies of indexed texts with 1-3 words replaced and 70-100% kept) and unrelated queries, with
  recall of the source row; both single-process and with 2 processes (2 cores).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import re
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from nazar.match.index import NearDupIndex  # noqa: E402
from nazar.match.signatures import (  # noqa: E402
    NUM_PERM,
    SignatureBatch,
    canonical,
    minhash_codepoints,
    signatures,
)

DATA = Path("/work/shared/data")
OUT = ROOT / "benchmarks" / "results"
CHUNK = 50_000


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB on Linux


def vocabulary() -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Canonical words of real posts: code points, offsets, sampling probabilities."""
    counts: Counter[str] = Counter()
    for name in ("en_isis_accounts_tweets.jsonl", "ar_offensive_osact4.jsonl",
                 "ru_sensitive_topics.jsonl"):  # fmt: skip
        with open(DATA / name, encoding="utf-8") as f:
            for line in f:
                text = json.loads(line)["text"]
                for w in re.findall(r"\w+", text.lower()):
                    if not w.isdigit() and len(w) >= 2:
                        counts[w] += 1
    words = [w for w, _ in counts.most_common(60_000)]
    freq = np.array([counts[w] for w in words], dtype=np.float64)
    cps = np.frombuffer("".join(words).encode("utf-32-le"), dtype=np.uint32)
    lens = np.array([len(w) for w in words], dtype=np.int64)
    offs = np.zeros(len(words) + 1, dtype=np.int64)
    np.cumsum(lens, out=offs[1:])
    return cps, offs, freq / freq.sum(), real_sample()


def real_sample() -> list[str]:
    with open(DATA / "en_isis_accounts_tweets.jsonl", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


def make_texts(
    rng: np.random.Generator, n: int, vocab: tuple
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` synthetic texts: word id matrix (-1 padded), code points, starts."""
    vcps, voffs, p, _ = vocab
    nwords = rng.integers(10, 31, size=n)
    words = _word_pool(rng, p)[rng.integers(0, _POOL, size=(n, 30))]
    words[np.arange(30)[None, :] >= nwords[:, None]] = -1
    return words, *words_to_cps(words, vcps, voffs)


_POOL = 1 << 22
_pool_cache: dict[int, np.ndarray] = {}


def _word_pool(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    """4M words drawn once with the vocabulary's frequencies; texts index into it (drawing
    with ``p`` for each of 300M words would cost minutes)."""
    if id(p) not in _pool_cache:
        _pool_cache[id(p)] = rng.choice(len(p), size=_POOL, p=p)
    return _pool_cache[id(p)]


def random_batch(rng: np.random.Generator, m: int) -> SignatureBatch:
    """Signatures of ``m`` unrelated texts drawn directly: uniform 32-bit minima (what MinHash
    gives texts that share no shingle) and uniform exact hashes."""
    mh = rng.integers(0, 2**32 - 1, size=(m, NUM_PERM), dtype=np.uint32)
    exact = rng.integers(0, 2**63, size=m, dtype=np.uint64)
    return SignatureBatch([], exact, mh, np.zeros(m, bool))


def perturb_signatures(rng: np.random.Generator, mh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Near-duplicates at Jaccard J ~ U(0.5, 1): each minimum kept with probability J."""
    j = rng.uniform(0.5, 1.0, size=len(mh))
    keep = rng.random(mh.shape) < j[:, None]
    noise = rng.integers(0, 2**32 - 1, size=mh.shape, dtype=np.uint32)
    return np.where(keep, mh, noise), j


def words_to_cps(words: np.ndarray, vcps: np.ndarray, voffs: np.ndarray) -> tuple:
    flat = words.ravel()
    valid = flat >= 0
    w = flat[valid]
    lens = voffs[w + 1] - voffs[w]
    total = int(lens.sum())
    ends = np.cumsum(lens)
    pos = np.repeat(voffs[w] - (ends - lens), lens) + np.arange(total)
    cps = vcps[pos]
    per_text = np.zeros(words.shape[0], dtype=np.int64)
    row = np.repeat(np.arange(words.shape[0]), words.shape[1])[valid]
    np.add.at(per_text, row, lens)
    starts = np.zeros(words.shape[0] + 1, dtype=np.int64)
    np.cumsum(per_text, out=starts[1:])
    return cps, starts


def batch_from_cps(cps: np.ndarray, starts: np.ndarray) -> SignatureBatch:
    mh = minhash_codepoints(cps, starts)
    # Vectorised exact key of the synthetic text (see module docstring).
    h = cps.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    h ^= h >> np.uint64(29)
    pos = np.arange(len(cps), dtype=np.uint64) * np.uint64(0xBF58476D1CE4E5B9)
    exact = np.add.reduceat(h ^ pos, starts[:-1]) if len(cps) else np.zeros(0, np.uint64)
    empty = np.diff(starts) == 0
    return SignatureBatch([], exact.astype(np.uint64), mh, empty)


def perturb(rng: np.random.Generator, words: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Replace one word (and a second one half of the time), keep 80-100% of the words."""
    w = words.copy()
    n = len(w)
    nwords = (w >= 0).sum(axis=1)
    for prob in (1.0, 0.5):
        col = (rng.random(n) * nwords).astype(np.int64)
        hit = rng.random(n) < prob
        w[np.arange(n)[hit], col[hit]] = rng.choice(len(p), size=int(hit.sum()), p=p)
    keep = np.ceil(nwords * rng.uniform(0.8, 1.0, size=n)).astype(np.int64)
    w[np.arange(30)[None, :] >= keep[:, None]] = -1
    return w


def true_jaccard_recall(
    index: NearDupIndex, near: np.ndarray, orig: np.ndarray, rows: np.ndarray, vocab: tuple
) -> dict:
    """Recall among the queries whose true shingle Jaccard with their source is >= 0.5."""
    vcps, voffs, _, _ = vocab
    words_str = "".join(chr(c) for c in vcps)

    def text(ws: np.ndarray) -> str:
        return "".join(words_str[voffs[w] : voffs[w + 1]] for w in ws if w >= 0)

    def sh(t: str) -> set[str]:
        return {t[i : i + 5] for i in range(max(1, len(t) - 4))}

    cps, starts = words_to_cps(near, vcps, voffs)
    hits = index.query(batch_from_cps(cps, starts), max_distance=0.5)
    got = set(zip(hits.query.tolist(), hits.row.tolist(), strict=True))
    js = np.array([
        len(sh(text(a)) & sh(text(b))) / max(1, len(sh(text(a)) | sh(text(b))))
        for a, b in zip(near, orig, strict=True)
    ])  # fmt: skip
    found = np.array([(i, int(r)) in got for i, r in enumerate(rows)])
    ok = js >= 0.5
    return {
        "sample": len(js),
        "share_true_j_ge_0.5": round(float(ok.mean()), 4),
        "recall_true_j_ge_0.5": round(float(found[ok].mean()), 4) if ok.any() else None,
        "recall_true_j_ge_0.6": round(float(found[js >= 0.6].mean()), 4),
        "matches_with_true_j_lt_0.4": int((found & (js < 0.4)).sum()),
    }


def _query_worker(args: tuple) -> tuple[int, float]:
    path, cps, starts, batch = args
    index = NearDupIndex.load(path)
    t = time.perf_counter()
    n = len(starts) - 1
    for s in range(0, n, batch):
        e = min(n, s + batch)
        b = batch_from_cps(cps[starts[s] : starts[e]], starts[s : e + 1] - starts[s])
        index.query(b, max_distance=0.5)
    return n, time.perf_counter() - t


def query_random(
    res: dict,
    rng: np.random.Generator,
    index: NearDupIndex,
    path: Path,
    qmh: np.ndarray,
    qrows: np.ndarray,
) -> None:
    near, j = perturb_signatures(rng, qmh)
    unrel = random_batch(rng, len(near)).minhash
    for name, mh in (("near_duplicate", near), ("unrelated", unrel)):
        found = 0
        cands = 0
        t = time.perf_counter()
        c = time.process_time()
        hit_mask = np.zeros(len(mh), bool)
        for s in range(0, len(mh), 1000):
            e = min(len(mh), s + 1000)
            exact = rng.integers(0, 2**63, size=e - s, dtype=np.uint64)
            b = SignatureBatch([], exact, mh[s:e], np.zeros(e - s, bool))
            hits = index.query(b, max_distance=0.5)
            cands += len(hits.query)
            if name == "near_duplicate":
                ok = hits.row == qrows[s + hits.query]
                hit_mask[s + hits.query[ok]] = True
        dt = time.perf_counter() - t
        res[f"{name}_lookups_per_s_1process"] = round(len(mh) / dt)
        res[f"{name}_lookups_per_cpu_s"] = round(len(mh) / (time.process_time() - c))
        res[f"{name}_matches_per_query"] = round(cands / len(mh), 3)
        if name == "near_duplicate":
            found = int(hit_mask.sum())
            res["near_duplicate_recall_J_0.5_to_1"] = round(found / len(mh), 4)
            res["near_duplicate_recall_J_ge_0.6"] = round(float(hit_mask[j >= 0.6].mean()), 4)
            res["near_duplicate_recall_J_ge_0.7"] = round(float(hit_mask[j >= 0.7].mean()), 4)
        half = len(mh) // 2
        jobs = [(path, mh[a:b_]) for a, b_ in ((0, half), (half, len(mh)))]
        t = time.perf_counter()
        with mp.get_context("fork").Pool(2) as pool:
            done = pool.map(_query_worker_sig, jobs)
        wall = time.perf_counter() - t
        res[f"{name}_lookups_per_s_2processes"] = round(sum(done) / wall)


def _query_worker_sig(args: tuple) -> int:
    path, mh = args
    index = NearDupIndex.load(path)
    rng = np.random.default_rng(0)
    for s in range(0, len(mh), 1000):
        e = min(len(mh), s + 1000)
        exact = rng.integers(0, 2**63, size=e - s, dtype=np.uint64)
        index.query(SignatureBatch([], exact, mh[s:e], np.zeros(e - s, bool)), max_distance=0.5)
    return len(mh)


def query_texts(
    res: dict,
    rng: np.random.Generator,
    index: NearDupIndex,
    path: Path,
    qwords: np.ndarray,
    qrows: np.ndarray,
    vocab: tuple,
) -> None:
    vcps, voffs, p, _ = vocab
    near = perturb(rng, qwords, p)
    unrel, _, _ = make_texts(rng, len(near), vocab)
    for name, words in (("near_duplicate", near), ("unrelated", unrel)):
        cps, starts = words_to_cps(words, vcps, voffs)
        found = 0
        cands = 0
        t = time.perf_counter()
        c = time.process_time()
        for s in range(0, len(words), 1000):
            e = min(len(words), s + 1000)
            b = batch_from_cps(cps[starts[s] : starts[e]], starts[s : e + 1] - starts[s])
            hits = index.query(b, max_distance=0.5)
            cands += len(hits.query)
            if name == "near_duplicate":
                got = set(zip((hits.query + s).tolist(), hits.row.tolist(), strict=True))
                found += sum((i, int(qrows[i])) in got for i in range(s, e))
        dt = time.perf_counter() - t
        res[f"{name}_lookups_per_s_1process"] = round(len(words) / dt)
        res[f"{name}_lookups_per_cpu_s"] = round(len(words) / (time.process_time() - c))
        res[f"{name}_matches_per_query"] = round(cands / len(words), 3)
        if name == "near_duplicate":
            res["near_duplicate_recall"] = round(found / len(words), 4)
            res["near_duplicate_true_jaccard"] = true_jaccard_recall(
                index, near[:2000], qwords[:2000], qrows[:2000], vocab
            )
        half = len(words) // 2
        jobs = [
            (path, cps[starts[a] : starts[b]], starts[a : b + 1] - starts[a], 1000)
            for a, b in ((0, half), (half, len(words)))
        ]
        t = time.perf_counter()
        with mp.get_context("fork").Pool(2) as pool:
            done = pool.map(_query_worker, jobs)
        wall = time.perf_counter() - t
        res[f"{name}_lookups_per_s_2processes"] = round(sum(n for n, _ in done) / wall)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="rows in the index")
    ap.add_argument("--queries", type=int, default=20_000)
    ap.add_argument("--dir", help="where to save the index (default: a temporary folder)")
    ap.add_argument("--out", default=None, help="result JSON (default: results/match_scale[_N])")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--random-signatures",
        action="store_true",
        help="draw the indexed signatures directly (uniform minima) instead of signing "
        "synthetic texts; the signing rate is then measured on 100,000 synthetic texts",
    )
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    vocab = vocabulary()
    real = vocab[3]
    res: dict = {
        "n": args.n,
        "mode": "random signatures" if args.random_signatures else "synthetic texts",
        "cpu_count": os.cpu_count(),
        "chunk": CHUNK,
    }

    # Real texts, full path (canonicalisation + signatures), one core.
    sample = real[:20_000]
    signatures(sample[:200])  # warm-up: first calls load tables of nazar.text
    t = time.perf_counter()
    for s in range(0, len(sample), 5000):
        signatures(sample[s : s + 5000])
    res["real_text_signatures_per_s_1core"] = round(len(sample) / (time.perf_counter() - t))
    t = time.perf_counter()
    canon = [canonical(x) for x in sample[:5000]]
    res["real_text_canonical_per_s_1core"] = round(5000 / (time.perf_counter() - t))
    del canon

    # Build: synthetic code points -> signatures -> index, chunk by chunk.
    keep_words: list[np.ndarray] = []  # a few rows per chunk to make queries from later
    keep_rows: list[np.ndarray] = []
    sig_time = 0.0
    gen_time = 0.0
    # CPU seconds as well as wall seconds: on a shared machine the wall clock includes time
    # other processes held the cores; CPU time is what a dedicated core would need.
    cpu = {"gen": 0.0, "sig": 0.0}

    def batches():
        nonlocal sig_time, gen_time
        for s in range(0, args.n, CHUNK):
            m = min(CHUNK, args.n - s)
            if args.random_signatures:
                t0 = time.perf_counter()
                c0 = time.process_time()
                b = random_batch(rng, m)
                gen_time += time.perf_counter() - t0
                cpu["gen"] += time.process_time() - c0
                pick = rng.choice(m, size=max(1, args.queries * m // args.n), replace=False)
                keep_words.append(b.minhash[pick].copy())
                keep_rows.append(pick + s)
                yield b
                continue
            t0 = time.perf_counter()
            c0 = time.process_time()
            words, cps, starts = make_texts(rng, m, vocab)
            t1 = time.perf_counter()
            c1 = time.process_time()
            b = batch_from_cps(cps, starts)
            t2 = time.perf_counter()
            c2 = time.process_time()
            gen_time += t1 - t0
            sig_time += t2 - t1
            cpu["gen"] += c1 - c0
            cpu["sig"] += c2 - c1
            pick = rng.choice(m, size=max(1, args.queries * m // args.n), replace=False)
            keep_words.append(words[pick])
            keep_rows.append(pick + s)
            yield b

    t = time.perf_counter()
    c = time.process_time()
    index = NearDupIndex.build(np.arange(args.n, dtype=np.int64), batches())
    total = time.perf_counter() - t
    build_only = total - sig_time - gen_time
    build_cpu = time.process_time() - c - cpu["gen"] - cpu["sig"]
    if not args.random_signatures:
        res["signature_cpu_s"] = round(cpu["sig"], 1)
        res["signatures_per_cpu_s"] = round(args.n / cpu["sig"])
    res["index_build_cpu_s"] = round(build_cpu, 1)
    res["index_build_signatures_per_cpu_s"] = round(args.n / build_cpu)
    res["text_generation_s"] = round(gen_time, 1)
    res["signature_s"] = round(sig_time, 1)
    if args.random_signatures:
        # Signing rate measured on a sample of synthetic texts instead.
        _, cps, starts = make_texts(rng, 100_000, vocab)
        c = time.process_time()
        batch_from_cps(cps, starts)
        cpu["sig"] = time.process_time() - c
        res["signatures_per_cpu_s_sample_100k"] = round(100_000 / cpu["sig"])
        cpu["sig"] = 0.0
    else:
        res["signatures_per_s_1core"] = round(args.n / sig_time)
    res["index_build_s"] = round(build_only, 1)
    res["index_build_signatures_per_s"] = round(args.n / build_only)
    if not args.random_signatures:
        res["build_total_per_s_incl_signing"] = round(args.n / (sig_time + build_only))
    res["peak_rss_gb_after_build"] = round(peak_rss_gb(), 2)

    base = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="nazar_scale_"))
    path = base / "index"
    t = time.perf_counter()
    index.save(path)
    res["save_s"] = round(time.perf_counter() - t, 1)
    res["disk_gb"] = round(sum(f.stat().st_size for f in path.iterdir()) / 1024**3, 2)
    res["bytes_per_row_on_disk"] = round(sum(f.stat().st_size for f in path.iterdir()) / args.n)
    del index
    t = time.perf_counter()
    index = NearDupIndex.load(path)
    res["load_s"] = round(time.perf_counter() - t, 3)

    # Queries.
    qrows = np.concatenate(keep_rows)[: args.queries]
    if args.random_signatures:
        query_random(res, rng, index, path, np.concatenate(keep_words)[: args.queries], qrows)
    else:
        query_texts(res, rng, index, path, np.concatenate(keep_words)[: args.queries], qrows, vocab)
    res["peak_rss_gb"] = round(peak_rss_gb(), 2)
    res["goals"] = {
        "memory_gb<=8": res["peak_rss_gb"] <= 8,
        "build>=50k/s": res["index_build_signatures_per_s"] >= 50_000,
        "lookups>=4000/s": res["near_duplicate_lookups_per_s_2processes"] >= 4000,
    }
    if not args.dir:
        shutil.rmtree(base, ignore_errors=True)
    print(json.dumps(res, indent=1))
    suffix = "" if args.n == 10_000_000 else f"_{args.n}"
    out = Path(args.out) if args.out else OUT / f"match_scale{suffix}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2), encoding="utf-8")
    lines = [f"{k}: {v}" for k, v in res.items()]
    out.with_suffix(".txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
