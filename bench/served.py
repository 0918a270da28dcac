"""``loopgate serve`` in its own process over a benchmark's database, for as long as the
benchmark needs it (the environment, voucher keys included, is passed on); the payments,
marketing and orders benchmarks measure through it."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx


@contextmanager
def serve(uri: str, db: str, port: int) -> Iterator[tuple[str, int]]:
    """The server's base URL and process id once ``/readyz`` answers; stopped on exit."""
    env = {**os.environ, "LOOPGATE_MONGODB_URI": uri, "LOOPGATE_DB": db}
    process = subprocess.Popen([sys.executable, "-m", "gateway.cli", "serve", "--port",
                                str(port)], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("loopgate serve did not start")
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)
