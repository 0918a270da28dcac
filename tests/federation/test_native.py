"""The compiled builds of the executor's hot modules: used only while built from the source
as it is, and answering as the source does."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway import native
from gateway.native import build

COMPLETE = "gateway.federation.executor.complete"


def fake_build(directory: Path, stamp: str) -> None:
    stamp_path, built, runtime = native.paths(COMPLETE, directory)
    built.write_bytes(b"")
    runtime.write_bytes(b"")
    stamp_path.write_text(stamp, encoding="utf-8")


def test_only_a_build_of_the_current_source_is_fresh(tmp_path: Path) -> None:
    assert not native.fresh(COMPLETE, tmp_path)   # nothing built
    fake_build(tmp_path, "0" * 64 + " " + sys.version)
    assert not native.fresh(COMPLETE, tmp_path)   # built from another source
    fake_build(tmp_path, native.stamp_for(native.source_of(COMPLETE)))
    assert native.fresh(COMPLETE, tmp_path)
    native.paths(COMPLETE, tmp_path)[2].unlink()
    assert not native.fresh(COMPLETE, tmp_path)   # its runtime library is gone


def test_already_imported_or_switched_off_modules_are_left_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_build(tmp_path, native.stamp_for(native.source_of(COMPLETE)))
    assert native.use_compiled((COMPLETE,), tmp_path) == []   # imported by this process
    monkeypatch.setenv("LOOPGATE_NATIVE", "0")
    assert native.use_compiled(("gateway.not_imported",), tmp_path) == []


def test_a_broken_build_falls_back_to_the_source(tmp_path: Path) -> None:
    fake_build(tmp_path, native.stamp_for(native.source_of(COMPLETE)))
    code = (f"from gateway import native; from pathlib import Path; "
            f"print(native.use_compiled(({COMPLETE!r},), Path({str(tmp_path)!r}))); "
            f"import {COMPLETE} as m; print(m.__file__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=native.ROOT, env={**os.environ, "LOOPGATE_NATIVE_DIR": "/nowhere"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[]", str(native.source_of(COMPLETE))]


def test_the_compiled_module_is_used_and_completes_as_the_source(tmp_path: Path) -> None:
    """Build completion for real (mypyc, ~20 s), then run completion tests against it."""
    pytest.importorskip("mypyc")
    assert build.main(["--into", str(tmp_path), COMPLETE]) == 0
    assert native.fresh(COMPLETE, tmp_path)
    env = {**os.environ, "LOOPGATE_NATIVE_DIR": str(tmp_path), "LOOPGATE_NATIVE": "1"}
    where = subprocess.run([sys.executable, "-c", f"import {COMPLETE} as m; print(m.__file__)"],
                           capture_output=True, text=True, cwd=native.ROOT, env=env)
    assert where.stdout.strip() == str(native.paths(COMPLETE, tmp_path)[1])
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            "tests/federation/test_errors_and_nulls.py",
                            "tests/federation/test_abstract_types.py",
                            "tests/federation/test_operations.py"],
                           capture_output=True, text=True, cwd=native.ROOT, env=env)
    assert tests.returncode == 0, tests.stdout[-2000:]
