"""``loopgate serve`` end to end: a real process, a real database, real HTTP."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from gateway.embedded import server


def _wait_ready(base: str, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("loopgate serve did not become ready")


def _serve(port: int, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port), "--demo"],
        env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=30)
    return err


def test_serve_with_a_configured_database(ferretdb: str, tmp_path: Path) -> None:
    port = server.free_port()
    proc = _serve(port, {"LOOPGATE_MONGODB_URI": ferretdb, "LOOPGATE_DB": "serve_test",
                         "LOOPGATE_STATE_DIR": str(tmp_path),
                         "LOOPGATE_DEMO_STOCK_STORES": "2"})
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, proc)
        assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
        answer = httpx.post(f"{base}/graphql", json={"query": "{ __typename }"})
        assert answer.json()["data"]["__typename"] == "Query"
    finally:
        err = _stop(proc)
    assert "partners" in err  # the demo seed ran with its progress bar
    assert "Traceback" not in err


def test_serve_starts_and_stops_the_embedded_database(tmp_path: Path) -> None:
    port, db_port = server.free_port(), server.free_port()
    state = tmp_path / "state"
    env = {"LOOPGATE_STATE_DIR": str(state), "LOOPGATE_EMBEDDED_PORT": str(db_port)}
    env_clean = {k: v for k, v in os.environ.items() if k != "LOOPGATE_MONGODB_URI"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)],
        env={**env_clean, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        _wait_ready(f"http://127.0.0.1:{port}", proc)
        assert server.status(state) is not None
    finally:
        err = _stop(proc)
    assert "stopped the embedded FerretDB" in err
    assert server.status(state) is None
    assert not server.ping(db_port)


def test_serve_refuses_to_start_with_malformed_voucher_keys(tmp_path: Path) -> None:
    """Found at start, not at the first purchase: codes sealed with a wrong key are lost."""
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "serve", "--port", str(server.free_port())],
        env={**os.environ, "LOOPGATE_VOUCHER_KEYS": '{"lookup": "not base64"}',
             "LOOPGATE_STATE_DIR": str(tmp_path)},
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "voucher keys:" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "ferretdb").exists()   # nothing was started


def test_serve_makes_the_voucher_key_file_in_its_state_directory(ferretdb: str,
                                                                  tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "LOOPGATE_VOUCHER_KEYS"}
    port = server.free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)],
        env={**env, "LOOPGATE_MONGODB_URI": ferretdb, "LOOPGATE_DB": "serve_keys_test",
             "LOOPGATE_STATE_DIR": str(tmp_path)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_ready(f"http://127.0.0.1:{port}", proc)
        keys = tmp_path / "voucher-keys.json"
        assert keys.exists() and keys.stat().st_mode & 0o777 == 0o600
    finally:
        _stop(proc)
