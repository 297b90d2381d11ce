"""Kill the service with SIGKILL in the middle of a batch ingest: after a restart every item it
acknowledged is stored exactly once, and re-sending the batch that was cut off stores the rest."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
from sqlalchemy import create_engine, text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(home, port: int) -> subprocess.Popen:
    env = {**os.environ, "NAZAR_HOME": str(home)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nazar.cli",
            "serve",
            "--port",
            str(port),
            "--no-worker",
            "--no-feeds",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("service did not start: " + (proc.stdout.read() if proc.stdout else ""))


def _admin_key(proc: subprocess.Popen) -> str:
    # `nazar serve` prints the admin key it mints on first start; read up to that line.
    for line in proc.stdout:
        if line.strip().startswith("nzr_"):
            return line.strip()
    raise AssertionError("no admin key printed")


def test_sigkill_during_ingest_loses_no_acknowledged_item(tmp_path):
    port = _free_port()
    proc = _start(tmp_path, port)
    key = _admin_key(proc)
    headers = {"Authorization": f"Bearer {key}"}
    acked: list[str] = []
    sent_batches: list[list[str]] = []
    stop = threading.Event()

    def sender() -> None:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=10
        ) as client:
            b = 0
            while not stop.is_set():
                ids = [f"b{b}-{i}" for i in range(500)]
                sent_batches.append(ids)
                body = {
                    "source": "fault",
                    "items": [{"external_id": x, "text": f"post {x} " * 8} for x in ids],
                }
                try:
                    r = client.post("/api/v1/items", json=body)
                except httpx.HTTPError:
                    return  # the server died under us: this batch was never acknowledged
                if r.status_code == 200:
                    acked.extend(ids)
                b += 1

    thread = threading.Thread(target=sender)
    thread.start()
    while len(acked) < 3000:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)  # mid-stream: a batch is almost always in flight
    proc.wait(10)
    stop.set()
    thread.join(20)
    assert len(acked) >= 3000

    engine = create_engine(f"sqlite:///{tmp_path / 'nazar.sqlite3'}")
    with engine.connect() as conn:
        stored = [r[0] for r in conn.execute(text("SELECT external_id FROM items"))]
    engine.dispose()
    assert len(stored) == len(set(stored))  # exactly once
    assert set(acked) <= set(stored)  # nothing acknowledged was lost

    # After a restart, re-sending every batch (the client cannot know about the last one)
    # stores only what is missing.
    proc = _start(tmp_path, port)
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30
        ) as client:
            accepted = duplicates = 0
            for ids in sent_batches:
                body = {
                    "source": "fault",
                    "items": [{"external_id": x, "text": f"post {x} " * 8} for x in ids],
                }
                r = client.post("/api/v1/items", json=body).json()
                accepted += r["accepted"]
                duplicates += r["duplicates"]
        assert duplicates == len(stored)
        assert accepted == sum(len(ids) for ids in sent_batches) - len(stored)
    finally:
        proc.terminate()
        proc.wait(10)
