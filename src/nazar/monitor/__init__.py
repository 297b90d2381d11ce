"""Monitoring: source readers (``sources``, ``feeds``), ingest, the scoring worker, review,
trends and alerts, one module each.

Kept empty on purpose: importing ``nazar.monitor`` must not pull in feedparser, the database
or the models; each sub-module imports what it needs.
"""
