"""Cross-lingual transfer: propaganda examples in one or two languages only, measured in all.

For each configuration, the training split of ``build_default`` (the semantic head's subset,
``build_semantic.semantic_subset``) keeps its ``violent_extremist`` examples only in the named
languages (``en``: the project corpus's English propaganda and the English tweets of pro-ISIS
accounts; ``ar``: the Arabic corpus and the accounts' Arabic tweets), and every other label in
every language. Three models are trained on it the same way:

- ``char``: the shipped char model's recipe (hashed char/word n-grams + lexicon cue tokens,
  balanced (lang, label) weights, temperature calibration out of fold), run through the whole
  ``Detector`` (lexicon, short-text rule);
- ``semantic``: ``SemanticHead`` on multilingual-e5-small vectors;
- ``ensemble``: the stacker on both models' out-of-fold log-probabilities (``mode="full"``).

Test rows: the project holdout (the 20% split by stable hash that no training saw), project
corpus rows only, per language: recall on ``violent_extremist``, and the false-positive rate on
hard negatives (news about ISIS and extremism, returnee testimony and other counter-narrative,
sermons, hadith and Quran on jihad, i.e. every news / counter_narrative / religious row of the
corpus). Threshold 0.7 throughout. Results: ``benchmarks/results/crosslingual.{json,txt}``.

    .venv/bin/python benchmarks/crosslingual.py
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CONFIGS = {"en": ("en",), "ar": ("ar",), "en+ar": ("en", "ar"), "all (reference)": None}
LANGS = ("ar", "ru", "kk", "en")
HARD_NEGATIVE_LABELS = ("news", "counter_narrative", "religious")


def corpus_cases() -> dict[str, str]:
    cases = {}
    for path in sorted((REPO / "data" / "corpus").glob("*.jsonl")):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    cases[str(row.get("id"))] = row.get("case", "")
    return cases


def keep_for(config: tuple[str, ...] | None, r) -> bool:
    if config is None or r.label != "violent_extremist":
        return True
    return r.lang in config


def fit_char(records, threshold: float, oof: bool = True):
    """The shipped char model's recipe on ``records``; returns (Detector, oof probabilities).

    Without ``oof`` only the final model is fitted, with the shipped model's temperature, and
    no out-of-fold probabilities are returned (``None``).
    """
    from sklearn.linear_model import LogisticRegression

    from nazar.detect.build_semantic import fold_of
    from nazar.detect.lexicon import Lexicon, cue_tokens
    from nazar.detect.model import NgramClassifier, _all_labels, _fit_temperature
    from nazar.detect.pipeline import Detector
    from nazar.detect.training import balanced_weights
    from nazar.text import normalize

    lexicon = Lexicon.default()
    texts, cues = [], []
    for r in records:
        norm = normalize(r.text)
        texts.append(norm.text)
        cues.append(cue_tokens(lexicon.find(norm.text)))
    model = NgramClassifier()
    X = model.featurizer.fit_transform(texts, cues)
    y = np.array([model.labels.index(r.label) for r in records])
    w = balanced_weights(records)
    if not oof:
        from nazar.detect.pipeline import Detector as _D

        model.temperature_ = _D.load().model.temperature_
        lr = LogisticRegression(C=model.C, max_iter=1000, tol=1e-4)
        lr.fit(X, y, sample_weight=w)
        coef, intercept = _all_labels(lr, len(model.labels))
        model.coef_, model.intercept_ = coef.astype(np.float32), intercept.astype(np.float32)
        return Detector(model, lexicon=lexicon, threshold=threshold), None
    folds = fold_of(records)
    oof_logits = np.zeros((len(y), len(model.labels)))
    fold_models = []
    for f in sorted(set(folds.tolist())):
        fit, pred = folds != f, folds == f
        lr = LogisticRegression(C=model.C, max_iter=1000, tol=1e-4)
        lr.fit(X[fit], y[fit], sample_weight=w[fit])
        coef, intercept = _all_labels(lr, len(model.labels))
        oof_logits[pred] = np.asarray(X[pred] @ coef.T) + intercept
        fold_models.append((pred, coef, intercept))
    model.temperature_ = _fit_temperature(oof_logits, y, w)
    # Out-of-fold probabilities through the whole Detector (lexicon, short-text rule).
    oof = np.zeros_like(oof_logits)
    for pred, coef, intercept in fold_models:
        m = NgramClassifier()
        m.featurizer = model.featurizer
        m.coef_, m.intercept_ = coef.astype(np.float32), intercept.astype(np.float32)
        m.temperature_ = model.temperature_
        vs = Detector(m, lexicon=lexicon).classify_texts(
            [records[i].text for i in np.flatnonzero(pred)]
        )
        oof[pred] = [[v.scores[lab] for lab in m.labels] for v in vs]
    lr = LogisticRegression(C=model.C, max_iter=1000, tol=1e-4)
    lr.fit(X, y, sample_weight=w)
    coef, intercept = _all_labels(lr, len(model.labels))
    model.coef_, model.intercept_ = coef.astype(np.float32), intercept.astype(np.float32)
    return Detector(model, lexicon=lexicon, threshold=threshold), oof


def run_config(name, config, train, vectors, test, test_vectors, threshold, shipped_stacker=None):
    from nazar.detect.build_semantic import HEAD_C, STACKER_C, fold_of
    from nazar.detect.ensemble import Stacker, char_log_proba
    from nazar.detect.semantic import SemanticHead
    from nazar.detect.training import balanced_weights
    from nazar.types import LABELS, POSITIVE_LABEL

    keep = [i for i, r in enumerate(train) if keep_for(config, r)]
    recs = [train[i] for i in keep]
    X = vectors[keep]
    t0 = time.perf_counter()
    detector, char_oof = fit_char(recs, threshold, oof=shipped_stacker is None)
    y = np.array([LABELS.index(r.label) for r in recs])
    w = balanced_weights(recs)
    head = SemanticHead(C=HEAD_C).fit(
        X, [r.label for r in recs], sample_weight=w, folds=fold_of(recs)
    )
    if shipped_stacker is not None:
        stacker = shipped_stacker
    else:
        sem_oof = np.log(np.clip(head.oof_proba_, 1e-12, 1.0))
        stacker = Stacker(C=STACKER_C).fit(char_log_proba(char_oof), sem_oof, y, w)
    pos = LABELS.index(POSITIVE_LABEL)
    char_p = np.array(
        [[v.scores[lab] for lab in LABELS] for v in detector.classify_texts([r.text for r in test])]
    )
    sem_lp = head.predict_log_proba(test_vectors)
    scores = {
        "char": char_p[:, pos],
        "semantic": np.exp(sem_lp[:, pos]),
        "ensemble": stacker.predict_proba(char_log_proba(char_p), sem_lp)[:, pos],
    }
    out = {
        "propaganda_languages": list(config) if config else list(LANGS),
        "n_train": len(recs),
        "seconds": time.perf_counter() - t0,
    }
    for model_name, s in scores.items():
        flag = s >= threshold
        per_lang = {}
        for lang in LANGS:
            ve = [i for i, r in enumerate(test) if r.lang == lang and r.label == POSITIVE_LABEL]
            neg = [
                i for i, r in enumerate(test) if r.lang == lang and r.label in HARD_NEGATIVE_LABELS
            ]
            per_lang[lang] = {
                "recall": float(flag[ve].mean()) if ve else None,
                "n_propaganda": len(ve),
                "fpr_hard_negatives": float(flag[neg].mean()) if neg else None,
                "n_hard_negatives": len(neg),
                "held_out_language": bool(config) and lang not in config,
            }
        out[model_name] = per_lang
    print(f"{name}: done in {out['seconds']:.0f} s", file=sys.stderr)
    return out


def format_matrix(results: dict) -> str:
    lines = [
        "Cross-lingual transfer (project holdout, corpus rows; threshold 0.7).",
        "Rows: languages whose propaganda the models trained on; columns: test language.",
        "Cells: recall on propaganda / false-positive rate on hard negatives "
        "(news, counter-narrative, religious); * = language held out of the propaganda.",
        f"Ensemble stacker: {results.get('stacker', 'shipped')}.",
        "",
    ]
    for model_name in ("char", "semantic", "ensemble"):
        lines.append(f"{model_name}:")
        lines.append(f"  {'trained on':16}" + "".join(f"{lg:>18}" for lg in LANGS))
        for name, res in results["configs"].items():
            cells = []
            for lg in LANGS:
                c = res[model_name][lg]
                star = "*" if c["held_out_language"] else " "
                cells.append(f"{_pct(c['recall'])} / {_pct(c['fpr_hard_negatives'])}{star}")
            lines.append(f"  {name:16}" + "".join(f"{c:>18}" for c in cells))
        lines.append("")
    first = next(iter(results["configs"].values()))
    lines.append(
        "n per language (propaganda / hard negatives): "
        + ", ".join(
            f"{lg} {first['char'][lg]['n_propaganda']}/{first['char'][lg]['n_hard_negatives']}"
            for lg in LANGS
        )
    )
    return "\n".join(lines)


def _pct(x: float | None) -> str:
    return "  -  " if x is None else f"{100 * x:4.0f}%"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(HERE / "results" / "crosslingual.json"))
    parser.add_argument(
        "--refit-stacker",
        action="store_true",
        help="fit each configuration's stacker on its own out-of-fold predictions (4x the "
        "char fits); default: the shipped stacker (a calibration map over both models' "
        "log-probabilities) combines each configuration's two models",
    )
    args = parser.parse_args()
    from nazar.detect.build_default import collect
    from nazar.detect.build_semantic import semantic_subset
    from nazar.detect.ensemble import SemanticBundle, default_semantic_path
    from nazar.detect.pipeline import DEFAULT_THRESHOLD
    from nazar.detect.semantic import embed
    from nazar.detect.training import fill_languages

    train_all, holdout = collect()
    fill_languages(train_all + holdout)
    train = semantic_subset(train_all)
    test = [r for r in holdout if r.source.startswith("corpus/") and r.lang in LANGS]
    vectors = embed([r.text for r in train])
    test_vectors = embed([r.text for r in test])
    stacker = None if args.refit_stacker else SemanticBundle.load(default_semantic_path()).stacker
    results = {
        "threshold": DEFAULT_THRESHOLD,
        "n_test": len(test),
        "stacker": "refit per configuration" if args.refit_stacker else "shipped",
        "configs": {},
    }
    for name, config in CONFIGS.items():
        results["configs"][name] = run_config(
            name, config, train, vectors, test, test_vectors, DEFAULT_THRESHOLD, stacker
        )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    text = format_matrix(results)
    Path(args.out).with_suffix(".txt").write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
