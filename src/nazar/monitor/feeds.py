"""RSS/Atom sources of the service: poll each enabled ``rss`` source and ingest what is new.

The set of feeds is re-read from the database every ``refresh`` seconds, so a source added
through the API starts being polled without a restart.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import select

from nazar.monitor.ingest import ingest
from nazar.monitor.sources import FeedPoller, FeedSource, IncomingItem
from nazar.store.models import Source

log = logging.getLogger("nazar.feeds")


class FeedManager:
    def __init__(self, state: Any, refresh: float = 60.0) -> None:
        self.state = state
        self.refresh = refresh
        self._poller: FeedPoller | None = None
        self._config: tuple[FeedSource, ...] = ()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="nazar-feeds", daemon=True)

    def start(self) -> FeedManager:
        self._thread.start()
        return self

    def refresh_now(self) -> None:
        """Re-read the feed list at once (a source was added or changed)."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(10)
        if self._poller is not None:
            self._poller.stop(10)

    def _feeds(self) -> tuple[FeedSource, ...]:
        with self.state.sessions() as session:
            rows = session.scalars(
                select(Source).where(Source.kind == "rss", Source.enabled.is_(True))
            )
            return tuple(
                FeedSource(s.name, s.settings["url"], float(s.settings.get("interval", 300)))
                for s in rows
                if s.settings.get("url")
            )

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                feeds = self._feeds()
                if feeds != self._config:
                    if self._poller is not None:
                        self._poller.stop(10)
                    self._poller = FeedPoller(feeds, self._on_items).start() if feeds else None
                    self._config = feeds
            except Exception:
                log.exception("could not refresh the feed list")
            self._wake.wait(self.refresh)
            self._wake.clear()

    def _on_items(self, source_name: str, items: list[IncomingItem]) -> None:
        # Raising here makes the poller offer the same items again next time: nothing is lost.
        with self.state.sessions() as session:
            source = session.scalar(select(Source).where(Source.name == source_name))
            if source is None:
                return
            result = ingest(session, source, items)
        if result.accepted and self.state.worker is not None:
            self.state.worker.notify()


def start_feed_polling(state: Any) -> FeedManager:
    return FeedManager(state).start()
