"""The measures reported to users must be right: checked on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from nazar.detect.evaluation import evaluate, expected_calibration_error, format_report


def test_flagged_f1_and_false_positive_rates_per_language() -> None:
    gold = ["violent_extremist", "violent_extremist", "religious", "news", "news", "other"]
    pred = ["violent_extremist", "news", "violent_extremist", "news", "news", "other"]
    scores = [0.9, 0.3, 0.8, 0.1, 0.2, 0.0]
    langs = ["ar", "ar", "ar", "ru", "ru", "ru"]
    res = evaluate(gold, pred, scores, langs, bootstrap_rounds=50)
    overall = res["overall"]
    assert (overall["tp"], overall["fp"], overall["fn"]) == (1, 1, 1)
    assert overall["f1"] == pytest.approx(0.5)
    assert overall["fpr"]["religious"]["fpr"] == 1.0
    assert overall["fpr"]["news"]["fpr"] == 0.0
    assert res["per_language"]["ru"]["fpr_non_extremist"]["fpr"] == 0.0
    assert res["per_language"]["ar"]["positives"] == 2
    assert res["confusion"]["religious"]["violent_extremist"] == 1
    assert res["per_class"]["news"]["precision"] == pytest.approx(2 / 3)
    lo, hi = overall["f1_ci95"]
    assert 0.0 <= lo <= hi <= 1.0
    assert "religious" in format_report(res)


def test_expected_calibration_error() -> None:
    gold = np.array([1, 0, 1, 0], dtype=float)
    assert expected_calibration_error(gold, np.array([1.0, 0.0, 1.0, 0.0])) == 0.0
    # Everything at 0.5 with half positives is perfectly calibrated too.
    assert expected_calibration_error(gold, np.full(4, 0.5)) == pytest.approx(0.0)
    # Confident and always wrong is the worst case.
    assert expected_calibration_error(gold, np.array([0.0, 1.0, 0.0, 1.0])) == pytest.approx(1.0)
