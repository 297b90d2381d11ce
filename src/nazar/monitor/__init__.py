"""Monitoring: source readers (``sources``), and later the scoring worker, trends and alerts.

Kept empty on purpose: importing ``nazar.monitor`` must not pull in feedparser, the database
or the models; each sub-module imports what it needs.
"""
