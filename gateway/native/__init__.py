"""Compiled builds of the gateway's hottest pure-Python modules, used only while fresh.

The executor's entity and completion loops (:data:`COMPILED`) run for every object of every
response; compiled with mypyc (``python -m gateway.native.build``, which the project's
install step runs) the same source runs about 15 % faster per request on the federation
benchmark's shape (``python -m bench.peers``). The builds live outside the source tree
(:data:`BUILD_DIR`, in the virtualenv), each beside a stamp holding the SHA-256 of the source
it was built from: :func:`use_compiled` puts a build in ``sys.modules`` only when its stamp
matches the source as it is now, so an edited module always runs as written (until the next
build), and without a build, a compiler or mypy the gateway simply runs the Python source.
``LOOPGATE_NATIVE=0`` turns the builds off.
"""

import hashlib
import importlib.machinery
import importlib.util
import logging
import os
import sys
from pathlib import Path
from types import ModuleType

_log = logging.getLogger(__name__)

COMPILED = ("gateway.federation.executor.entities", "gateway.federation.executor.complete")
"""The modules built: pure functions over plain dicts and lists, typed."""

BUILD_DIR = Path(os.environ.get("LOOPGATE_NATIVE_DIR") or Path(sys.prefix) / "loopgate-native")
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]
ROOT = Path(__file__).resolve().parent.parent.parent


def source_of(module: str) -> Path:
    return ROOT.joinpath(*module.split(".")).with_suffix(".py")


def stamp_for(source: Path) -> str:
    """What a build's stamp must say to be used: the source's digest and the interpreter."""
    return f"{hashlib.sha256(source.read_bytes()).hexdigest()} {sys.version}"


def paths(module: str, directory: Path) -> tuple[Path, Path, Path]:
    """The build's stamp, its module and its mypyc runtime library, in ``directory``."""
    return (directory / f"{module}.stamp", directory / f"{module}{SUFFIX}",
            directory / f"{module}__mypyc{SUFFIX}")


def fresh(module: str, directory: Path = BUILD_DIR) -> bool:
    """Whether ``directory`` holds a build of ``module`` made from its current source."""
    stamp, built, runtime = paths(module, directory)
    try:
        return (built.is_file() and runtime.is_file()
                and stamp.read_text(encoding="utf-8") == stamp_for(source_of(module)))
    except OSError:
        return False


def use_compiled(modules: tuple[str, ...] = COMPILED, directory: Path = BUILD_DIR) -> list[str]:
    """Load the fresh builds of ``modules`` not imported yet; the names loaded.

    Call it before anything imports them (their package's ``__init__`` does)."""
    if os.environ.get("LOOPGATE_NATIVE", "1") == "0":
        return []
    loaded = []
    for module in modules:
        if module in sys.modules or not fresh(module, directory):
            continue
        _, built, runtime = paths(module, directory)
        try:
            _load(f"{module}__mypyc", runtime)  # the shim below imports it by this name
            _load(module, built)
        except Exception as exc:  # a broken build must not stop the gateway: run the source
            sys.modules.pop(module, None)
            sys.modules.pop(f"{module}__mypyc", None)
            _log.warning("compiled %s not used (%s): running its Python source", module, exc)
            continue
        loaded.append(module)
    return loaded


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"no loader for {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
