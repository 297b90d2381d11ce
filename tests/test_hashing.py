"""Feature hashing: n-grams stay inside words, and hashes are the same in every process."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from nazar.detect.hashing import char_ngram_counts, word_ngram_counts


def test_char_ngrams_stay_inside_padded_words() -> None:
    m = char_ngram_counts(["abc de", "   ", "abc"], 2, 4, 2**16)
    # " abc ": 4 bigrams, 3 trigrams, 2 four-grams; " de ": 3 + 2 + 1.
    assert np.asarray(m.sum(axis=1)).ravel().tolist() == [15.0, 0.0, 9.0]
    # The same word gives the same features wherever it stands.
    assert (m[2].toarray() <= m[0].toarray()).all()


def test_word_unigrams_and_bigrams() -> None:
    m = word_ngram_counts(["join the caravan", "", "the the"], 2**16)
    assert np.asarray(m.sum(axis=1)).ravel().tolist() == [5.0, 0.0, 3.0]
    assert m[2].data.max() == 2.0  # "the" twice: counts add up


def test_hashes_do_not_depend_on_the_process() -> None:
    code = (
        "from nazar.detect.hashing import char_ngram_counts as c;"
        "print(sorted(c(['халифат دولة khilafah'], 2, 4, 2**20).indices.tolist()))"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(runs) == 1
    here = sorted(char_ngram_counts(["халифат دولة khilafah"], 2, 4, 2**20).indices.tolist())
    assert runs.pop().strip() == str(here)
    assert np.unique(here).size > 20


def test_typing_habits_of_tweets_are_not_features() -> None:
    """A detached "و", dot runs, "يا", retweet markers and placeholders say where a text was
    collected, not its voice: with or without them a text has the same features."""
    from nazar.detect.features import FeatureConfig, TextFeaturizer

    feat = TextFeaturizer(FeatureConfig(char_features=2**12, word_features=2**10))
    feat.fit_transform(["رضاي عنادي", "شمسي قمري", "hello world"])
    plain = feat.transform(["رضاي عنادي", "hello world"]).toarray()
    typed = feat.transform(["rt @user: يا رضاي و يا عنادي ..", "hello… world... url"]).toarray()
    np.testing.assert_array_equal(plain, typed)
    # Words that merely contain the letters stay: "والله" is not "و" + "الله".
    other = feat.transform(["رضاي والله"]).toarray()
    assert not np.array_equal(other[0], feat.transform(["رضاي الله"]).toarray()[0])
