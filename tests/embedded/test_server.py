"""The embedded FerretDB bootstrap: start, ping, stop, restart with data kept."""

from pathlib import Path

import pytest
from pymongo import MongoClient

from gateway.embedded import server
from gateway.embedded.build import binary_path, ensure_binary


def test_binary_is_cached_and_reused(cache_dir: Path) -> None:
    built = ensure_binary(cache_dir)
    assert built == binary_path(cache_dir) and built.is_file()
    lines: list[str] = []
    assert ensure_binary(cache_dir, lines.append) == built
    assert lines == []  # nothing rebuilt


def test_start_ping_restart_keeps_data(tmp_path: Path, cache_dir: Path) -> None:
    state = tmp_path / "state"
    port = server.free_port()
    running = server.start(state, cache_dir, port=port)
    try:
        assert server.ping(port)
        assert server.status(state) == running
        assert server.start(state, cache_dir, port=port) == running  # reused, not doubled
        with MongoClient(running.uri, directConnection=True) as client:
            client["keep"]["docs"].insert_one({"_id": "survivor", "n": 1})
    finally:
        assert server.stop(state)
    assert server.status(state) is None
    assert not server.ping(port)

    again = server.start(state, cache_dir, port=port)
    try:
        with MongoClient(again.uri, directConnection=True) as client:
            kept = client["keep"]["docs"].find_one({"_id": "survivor"})
            assert kept == {"_id": "survivor", "n": 1}
    finally:
        server.stop(state)


def test_stop_when_nothing_runs_is_harmless(tmp_path: Path) -> None:
    assert server.stop(tmp_path) is False
    assert server.status(tmp_path) is None


def test_port_in_use_is_a_clear_error(tmp_path: Path, cache_dir: Path, ferretdb: str) -> None:
    busy_port = int(ferretdb.rsplit(":", 1)[1].strip("/"))
    with pytest.raises(server.EmbeddedDbError, match=f"port {busy_port} .* already in use"):
        server.start(tmp_path / "other", cache_dir, port=busy_port)


def test_ferretdb_runs_with_a_lazier_collector_and_a_memory_limit_unless_the_operator_chose(
        tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert server.server_environment({"PATH": "/bin"}) == {
        "PATH": "/bin", "GOGC": server.GC_PERCENT, "GOMEMLIMIT": server.MEMORY_LIMIT}
    assert server.server_environment({"GOGC": "off"})["GOGC"] == "off"
    assert server.server_environment({"GOMEMLIMIT": "4GiB"})["GOMEMLIMIT"] == "4GiB"
    monkeypatch.delenv("GOGC", raising=False)
    monkeypatch.delenv("GOMEMLIMIT", raising=False)
    state = tmp_path / "state"
    running = server.start(state, cache_dir, port=server.free_port())
    try:
        environ = Path(f"/proc/{running.pid}/environ").read_bytes().split(b"\0")
        assert f"GOGC={server.GC_PERCENT}".encode() in environ
        assert f"GOMEMLIMIT={server.MEMORY_LIMIT}".encode() in environ
    finally:
        server.stop(state)
