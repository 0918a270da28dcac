"""Build the FerretDB binary from the Go module proxy into the cache directory.

``go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2`` alone yields a binary that
panics at start-up: the module zip lacks the generated ``build/version/version.txt`` that
FerretDB's release tooling writes. So the build runs the same ``go`` resolution of the same
module version inside a throwaway module, vendors it, writes that one file, and builds
``cmd/ferretdb``. Nothing of FerretDB's source is stored in this repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

FERRETDB_VERSION = "v1.24.2"
FERRETDB_MODULE = "github.com/FerretDB/FerretDB"
_PACKAGE = f"{FERRETDB_MODULE}/cmd/ferretdb"
_TOOLS_GO = f'//go:build tools\n\npackage tools\n\nimport _ "{_PACKAGE}"\n'

Progress = Callable[[str], None]


class BuildError(RuntimeError):
    """The binary could not be built; the message says what to do next."""


def binary_path(cache_dir: Path) -> Path:
    return cache_dir / "ferretdb" / FERRETDB_VERSION / "ferretdb"


def ensure_binary(cache_dir: Path, progress: Progress = lambda _line: None) -> Path:
    """Return the cached binary, building it first when it is missing."""
    target = binary_path(cache_dir)
    if target.is_file() and os.access(target, os.X_OK):
        return target
    go = shutil.which("go")
    if go is None:
        raise BuildError(
            "Go is not installed, and the embedded FerretDB must be built with it: install Go "
            "1.22+ (or set LOOPGATE_MONGODB_URI to an existing MongoDB)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="loopgate-ferretdb-") as work:
        _build(go, Path(work), target, progress)
    return target


def _run(cmd: list[str], cwd: Path, progress: Progress) -> tuple[int, str]:
    """Run a go command, streaming its lines (``go: downloading …``) to ``progress``."""
    env = {**os.environ, "GOFLAGS": "-mod=mod", "CGO_ENABLED": "0"}
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line.rstrip())
        progress(line.rstrip())
    return proc.wait(), "\n".join(lines[-20:])


def _build(go: str, work: Path, target: Path, progress: Progress) -> None:
    steps: list[tuple[str, list[str]]] = [
        ("creating build module", [go, "mod", "init", "loopgate.local/ferretdb-build"]),
        (f"resolving {FERRETDB_MODULE}@{FERRETDB_VERSION}",
         [go, "get", f"{_PACKAGE}@{FERRETDB_VERSION}"]),
        ("vendoring sources", [go, "mod", "vendor"]),
    ]
    (work / "tools.go").write_text(_TOOLS_GO)
    for title, cmd in steps:
        progress(title)
        code, tail = _run(cmd, work, progress)
        if code != 0:
            raise BuildError(_explain(title, tail))
    version_file = work / "vendor" / FERRETDB_MODULE / "build" / "version" / "version.txt"
    version_file.write_text(FERRETDB_VERSION + "\n")
    output = work / "ferretdb"
    build = [go, "build", "-mod=vendor", "-trimpath", "-o", str(output), _PACKAGE]
    progress("compiling ferretdb (about a minute on 2 cores)")
    code, tail = _run(build, work, progress)
    if code != 0 and "linkname" in tail:
        progress("this Go refuses FerretDB's linknames; rebuilding with -checklinkname=0")
        code, tail = _run([*build[:3], "-ldflags=-checklinkname=0", *build[3:]], work, progress)
    if code != 0:
        raise BuildError(_explain("compiling ferretdb", tail))
    tmp_target = target.with_suffix(".partial")
    shutil.copy2(output, tmp_target)
    tmp_target.replace(target)


def _explain(step: str, tail: str) -> str:
    hint = ""
    if "proxy" in tail or "dial tcp" in tail or "no such host" in tail:
        hint = " The Go module proxy is unreachable: check network access or GOPROXY."
    return f"building FerretDB failed while {step}.{hint}\n{tail}"
