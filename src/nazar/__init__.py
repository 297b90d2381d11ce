"""Nazar: detect, match and monitor violent-extremist propaganda, and answer it.

The pipeline, one sub-package a stage: ``text`` (normalise, identify language) ->
``detect`` (classifier, lexicon, verdict) -> ``match`` -> ``monitor`` -> ``store`` -> ``api``.
"""

__version__ = "0.1.0"
