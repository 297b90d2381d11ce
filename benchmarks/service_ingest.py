"""The monitoring service under load: batch ingest into SQLite and PostgreSQL, scoring, and
the latency of POST /classify for one text.

Runs the real service (`nazar serve`) as a subprocess on 127.0.0.1 and sends real posts of all
four languages from ../shared/data through the HTTP API in batches of 1,000, from 2 client
threads, as an ingest client would:
- ingest items/s (service started with --no-worker, so the figure is storage alone), into
  SQLite and into PostgreSQL (a database of its own on 127.0.0.1:5432);
- scoring items/s: the in-process worker then scores what was stored (SQLite run);
- POST /classify with one text: median and p99 latency over --classify-requests requests.
Baseline in the same run: the same items written straight into the database with SQLAlchemy
Core's executemany, no HTTP, which bounds what the API can reach.

    .venv/bin/python benchmarks/service_ingest.py [--n 100000] [--classify-requests 500]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from classify_speed import sample_posts  # noqa: E402  (same real posts as the engine benchmark)

BATCH = 1000
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_service(home: Path, port: int, db_url: str | None, worker: bool) -> tuple:
    env = {**os.environ, "NAZAR_HOME": str(home)}
    if db_url:
        env["NAZAR_DATABASE_URL"] = db_url
    cmd = [sys.executable, "-m", "nazar.cli", "serve", "--port", str(port), "--no-feeds"]
    if not worker:
        cmd.append("--no-worker")
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    key = None
    for line in proc.stdout:
        if line.strip().startswith("nzr_"):
            key = line.strip()
        if line.startswith("Dashboard:"):
            break
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    return proc, base, {"Authorization": f"Bearer {key}"}


def make_batches(posts: list[dict], n: int) -> list[dict]:
    batches = []
    for start in range(0, n, BATCH):
        items = [
            {"external_id": f"x{i}", "text": posts[i % len(posts)]["text"]}
            for i in range(start, min(n, start + BATCH))
        ]
        batches.append({"source": "bench", "items": items})
    return batches


def send_all(base: str, headers: dict, batches: list[dict], threads: int = 2) -> float:
    todo = list(enumerate(batches))
    lock = threading.Lock()
    errors: list[str] = []

    def run() -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
            while True:
                with lock:
                    if not todo:
                        return
                    _, body = todo.pop()
                r = client.post("/api/v1/items", json=body)
                if r.status_code != 200:
                    errors.append(r.text[:200])

    t0 = time.perf_counter()
    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if errors:
        raise RuntimeError(errors[0])
    return time.perf_counter() - t0


def direct_insert_seconds(url: str, batches: list[dict]) -> float:
    """Baseline: the same rows through SQLAlchemy Core, no HTTP, no validation."""
    from nazar.monitor.ingest import get_or_create_source, ingest
    from nazar.monitor.sources import IncomingItem
    from nazar.store.db import connect

    sessions = connect(url)
    t0 = time.perf_counter()
    with sessions() as session:
        source = get_or_create_source(session, "direct")
        for body in batches:
            ingest(
                session,
                source,
                [IncomingItem(it["external_id"], it["text"], None) for it in body["items"]],
            )
    return time.perf_counter() - t0


def fresh_pg(name: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def wait_scored(base: str, timeout: float) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if httpx.get(base + "/healthz", timeout=5).json()["pending"] == 0:
            return time.perf_counter() - t0
        time.sleep(0.5)
    raise RuntimeError("scoring did not finish")


def classify_latency(base: str, headers: dict, texts: list[str], n: int) -> dict:
    times = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for i in range(n + 20):
            t0 = time.perf_counter()
            r = client.post("/api/v1/classify", json={"text": texts[i % len(texts)]})
            dt = time.perf_counter() - t0
            assert r.status_code == 200
            if i >= 20:  # the first requests warm the model up
                times.append(dt)
    times.sort()
    return {
        "requests": n,
        "median_ms": round(statistics.median(times) * 1000, 2),
        "p99_ms": round(times[int(0.99 * (len(times) - 1))] * 1000, 2),
        "max_ms": round(times[-1] * 1000, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--classify-requests", type=int, default=500)
    ap.add_argument("--skip-postgres", action="store_true")
    ap.add_argument("--out", default=str(HERE / "results" / "service_ingest.json"))
    args = ap.parse_args()

    posts = sample_posts(8000)
    batches = make_batches(posts, args.n)
    result: dict = {
        "items": args.n,
        "batch": BATCH,
        "client_threads": 2,
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
    }
    backends = [("sqlite", None)] + ([] if args.skip_postgres else [("postgresql", "pg")])
    for backend, _ in backends:
        with tempfile.TemporaryDirectory() as home:
            url = fresh_pg("nazar_bench_ingest") if backend == "postgresql" else None
            proc, base, headers = start_service(Path(home), free_port(), url, worker=False)
            try:
                secs = send_all(base, headers, batches)
            finally:
                proc.terminate()
                proc.wait(30)
            direct_url = (
                fresh_pg("nazar_bench_direct")
                if backend == "postgresql"
                else f"sqlite:///{Path(home) / 'direct.sqlite3'}"
            )
            direct = direct_insert_seconds(direct_url, batches)
            result[f"ingest_{backend}"] = {
                "seconds": round(secs, 2),
                "items_per_s": round(args.n / secs),
                "direct_insert_items_per_s": round(args.n / direct),
                "api_vs_direct": round(direct / secs, 2),
            }
            print(backend, result[f"ingest_{backend}"], flush=True)

    # Scoring and classify latency: the service with its worker, on SQLite.
    with tempfile.TemporaryDirectory() as home:
        n_score = min(args.n, 20_000)
        proc, base, headers = start_service(Path(home), free_port(), None, worker=True)
        try:
            result["classify_one_text"] = classify_latency(
                base, headers, [p["text"] for p in posts], args.classify_requests
            )
            print("classify", result["classify_one_text"], flush=True)
            t_send = send_all(base, headers, make_batches(posts, n_score))
            t_rest = wait_scored(base, 1800)
            result["scoring_sqlite"] = {
                "items": n_score,
                "seconds_after_last_batch": round(t_rest, 2),
                "items_per_s": round(n_score / (t_send + t_rest)),
            }
            print("scoring", result["scoring_sqlite"], flush=True)
        finally:
            proc.terminate()
            proc.wait(30)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
