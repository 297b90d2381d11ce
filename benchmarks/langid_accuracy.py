"""Measure nazar.text.identify_language accuracy per language, and normalize/langid throughput.

Data (read-only, /work/shared/data):
  ar  ar_offensive_osact4.jsonl + rows of en_isis_accounts_tweets.jsonl where Arabic script
      dominates (note: some of those rows are Urdu or Persian, so 'ar' is not always right)
  ru  ru_sensitive_topics.jsonl
  kk  kk_news_sentences.jsonl (Cyrillic)
  en  rows of en_isis_accounts_tweets.jsonl where Latin script dominates (note: a few percent
      are French, German, Indonesian... so 'en' is not always right)
  kk-Latin  500 kk news sentences (fixed random sample) converted to the 2018 and 2021 Latin
      alphabets (and, as extras, 2017 apostrophes and informal ASCII) with the small
      Cyrillic -> Latin tables below; also the character accuracy of converting them back with
      kazakh_latin_to_cyrillic.

Usage:  PYTHONPATH=src python benchmarks/langid_accuracy.py [--limit N]
Writes benchmarks/results/langid_accuracy.json and prints a table. Standard library + numpy only.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections import Counter
from pathlib import Path

import numpy as np

from nazar.text import identify_language, kazakh_latin_to_cyrillic, normalize

DATA = Path("/work/shared/data")
OUT = Path(__file__).resolve().parent / "results" / "langid_accuracy.json"

_AR = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefc]")
_LAT = re.compile(r"[A-Za-z\u00c0-\u024f]")

# Cyrillic -> Latin tables (lower case; upper case is derived). Kept small on purpose: they are
# only here to produce test input, independent of the package's own Latin -> Cyrillic tables.
# fmt: off
_COMMON = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "j", "з": "z", "к": "k",
    "қ": "q", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "ф": "f", "х": "h", "һ": "h", "ц": "ts", "ъ": "", "ь": "", "э": "e",
}
CYR2LAT = {
    # 2018 decree (acute accents): ý = у, u = ұ, ú = ү, y = ы, i = і, ı = и/й.
    "2018": {**_COMMON, "ә": "á", "ғ": "ǵ", "ң": "ń", "ө": "ó", "ұ": "u", "ү": "ú", "у": "ý",
             "ы": "y", "і": "i", "и": "ı", "й": "ı", "ш": "sh", "ч": "ch", "щ": "sh",
             "ё": "ıo", "ю": "ıý", "я": "ıa"},
    # 2021 alphabet: ä ğ ñ ö ū ü ş ç; u = у, y = ы, ı = і, i = и/й.
    "2021": {**_COMMON, "ә": "ä", "ғ": "ğ", "ң": "ñ", "ө": "ö", "ұ": "ū", "ү": "ü", "у": "u",
             "ы": "y", "і": "ı", "и": "i", "й": "i", "ш": "ş", "ч": "ç", "щ": "şş",
             "ё": "io", "ю": "iu", "я": "ia"},
    # 2017 decree (apostrophes): a' g' n' o' u' y' i' s' c'.
    "2017": {**_COMMON, "ә": "a'", "ғ": "g'", "ң": "n'", "ө": "o'", "ұ": "u", "ү": "u'",
             "у": "y'", "ы": "y", "і": "i", "и": "i'", "й": "i'", "ш": "s'", "ч": "c'",
             "щ": "s'", "ё": "i'o", "ю": "i'y'", "я": "i'a"},
    # Informal ASCII as typed on an English keyboard.
    "informal": {**_COMMON, "ә": "a", "ғ": "gh", "ң": "ng", "ө": "o", "ұ": "u", "ү": "u",
                 "у": "u", "ы": "y", "і": "i", "и": "i", "й": "i", "ж": "zh", "х": "kh",
                 "ш": "sh", "ч": "ch", "щ": "sh", "ё": "yo", "ю": "yu", "я": "ya"},
}
# fmt: on


def to_latin(text: str, alphabet: str) -> str:
    table = CYR2LAT[alphabet]
    out = []
    for ch in text:
        low = ch.lower()
        lat = table.get(low)
        if lat is None:
            out.append(ch)
        elif ch != low and lat:
            out.append(lat[0].upper() + lat[1:])
        else:
            out.append(lat)
    return "".join(out)


def load(name: str) -> list[dict]:
    with open(DATA / name, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def char_accuracy(pred: str, gold: str) -> float:
    """1 - Levenshtein(pred, gold) / len(gold), one numpy row per character of ``pred``."""
    if not gold:
        return 1.0 if not pred else 0.0
    g = np.array([ord(c) for c in gold], dtype=np.int64)
    j = np.arange(len(gold) + 1, dtype=np.int64)
    prev = j.copy()
    for i, ch in enumerate(pred, 1):
        best = np.empty_like(prev)
        best[0] = i
        best[1:] = np.minimum(prev[:-1] + (g != ord(ch)), prev[1:] + 1)
        # insertions: cur[j] = min_k<=j (best[k] + j - k)
        prev = np.minimum.accumulate(best - j) + j
    return max(0.0, 1.0 - float(prev[-1]) / len(gold))


def evaluate(texts: list[str], gold: str) -> dict:
    t0 = time.perf_counter()
    preds = [identify_language(t) for t in texts]
    dt = time.perf_counter() - t0
    counts = Counter(preds)
    n = len(texts)
    return {
        "n": n,
        "accuracy": round(counts[gold] / n, 4) if n else None,
        "predicted": dict(counts.most_common(8)),
        "seconds": round(dt, 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0, help="rows per language (0 = all)")
    args = ap.parse_args()
    lim = args.limit or None

    isis = load("en_isis_accounts_tweets.jsonl")
    ar_rows = [r["text"] for r in load("ar_offensive_osact4.jsonl")]
    en_rows: list[str] = []
    for r in isis:
        t = r["text"]
        n_ar, n_lat = len(_AR.findall(t)), len(_LAT.findall(t))
        if n_ar > n_lat:
            ar_rows.append(t)
        elif n_lat > n_ar:
            en_rows.append(t)
    sets = {
        "ar": ar_rows[:lim],
        "ru": [r["text"] for r in load("ru_sensitive_topics.jsonl")][:lim],
        "kk": [r["text"] for r in load("kk_news_sentences.jsonl")][:lim],
        "en": en_rows[:lim],
    }
    identify_language("warm up the model")

    results: dict = {"languages": {}, "kazakh_latin": {}, "throughput": {}}
    for lang, texts in sets.items():
        results["languages"][lang] = evaluate(texts, lang)

    kk_all = [r["text"] for r in load("kk_news_sentences.jsonl")]
    rng = random.Random(20240601)
    sample = rng.sample(kk_all, 500)
    for alphabet in ("2018", "2021", "2017", "informal"):
        latin = [to_latin(t, alphabet) for t in sample]
        res = evaluate(latin, "kk")
        back = [kazakh_latin_to_cyrillic(t)[0] for t in latin]
        accs = [char_accuracy(b.lower(), g.lower()) for b, g in zip(back, sample, strict=True)]
        res["roundtrip_char_accuracy"] = round(float(np.mean(accs)), 4)
        res["roundtrip_exact"] = round(
            float(np.mean([b.lower() == g.lower() for b, g in zip(back, sample, strict=True)])), 4
        )
        res["example"] = {"cyrillic": sample[0], "latin": latin[0], "back": back[0]}
        results["kazakh_latin"][alphabet] = res

    # Throughput on real texts (2,500 per language, shuffled), and on ~150-character texts made
    # by extending each text with the next ones of the same file (the brief's reference size).
    mixed: list[str] = []
    long_texts: list[str] = []
    for texts in sets.values():
        cur = texts[:2500]
        mixed.extend(cur)
        for i in range(0, len(cur) - 3, 2):
            s, k = cur[i], i + 1
            while len(s) < 150 and k < len(cur):
                s, k = s + " " + cur[k], k + 1
            long_texts.append(s[:150])
    rng.shuffle(mixed)
    rng.shuffle(long_texts)
    for name, fn in (("normalize", normalize), ("identify_language", identify_language)):
        for label, data in (("real", mixed), ("150_chars", long_texts)):
            fn(data[0])
            best_wall = best_cpu = float("inf")
            for _ in range(5):  # best of 5: the machine is shared, take the least disturbed run
                w0, c0 = time.perf_counter(), time.process_time()
                for t in data:
                    fn(t)
                best_wall = min(best_wall, time.perf_counter() - w0)
                best_cpu = min(best_cpu, time.process_time() - c0)
            results["throughput"][f"{name}_{label}"] = {
                "texts": len(data),
                "mean_chars": round(float(np.mean([len(t) for t in data])), 1),
                "texts_per_s_wall": round(len(data) / best_wall),
                "texts_per_cpu_s": round(len(data) / best_cpu),
            }

    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")

    print(f"{'set':<14}{'n':>7}{'accuracy':>10}  predicted (top)")
    for lang, r in results["languages"].items():
        top = ", ".join(f"{k}:{v}" for k, v in list(r["predicted"].items())[:5])
        print(f"{lang:<14}{r['n']:>7}{r['accuracy']:>10.4f}  {top}")
    for alphabet, r in results["kazakh_latin"].items():
        top = ", ".join(f"{k}:{v}" for k, v in list(r["predicted"].items())[:5])
        print(
            f"{'kk-' + alphabet:<14}{r['n']:>7}{r['accuracy']:>10.4f}  {top}"
            f"  | back to Cyrillic: chars {r['roundtrip_char_accuracy']:.4f},"
            f" exact {r['roundtrip_exact']:.3f}"
        )
    print()
    for name, r in results["throughput"].items():
        print(
            f"{name:<30}{r['texts_per_s_wall']:>9} texts/s wall, {r['texts_per_cpu_s']:>7} per"
            f" CPU-second, one thread  (mean {r['mean_chars']} chars)"
        )
    print(f"\nwritten to {OUT}")


if __name__ == "__main__":
    main()
