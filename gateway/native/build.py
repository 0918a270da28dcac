"""``python -m gateway.native.build``: compile :data:`~gateway.native.COMPILED` with mypyc.

Each module is compiled on its own (so each build is one module and its runtime library) in a
scratch copy of the ``gateway`` package, away from the project's ``pyproject.toml`` (mypyc
drives setuptools, which would read it) and so no compiled file ever lands beside the
sources; the results go to :data:`~gateway.native.BUILD_DIR` with their stamps. A module
whose build is fresh is skipped, so running it again costs nothing. Needs mypy (it carries
mypyc) and a C compiler; exits 1, leaving the gateway on its Python source, without them.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from gateway.native import BUILD_DIR, COMPILED, ROOT, SUFFIX, fresh, paths, stamp_for


def build(module: str, directory: Path) -> None:
    """Compile ``module`` into ``directory``; RuntimeError with mypyc's output on failure."""
    relative = Path(*module.split(".")).with_suffix(".py")
    with tempfile.TemporaryDirectory(prefix="loopgate-native-") as scratch:
        shutil.copytree(ROOT / "gateway", Path(scratch) / "gateway",
                        ignore=shutil.ignore_patterns("__pycache__", "*.so"))
        stamp_text = stamp_for(Path(scratch) / relative)
        done = subprocess.run([sys.executable, "-m", "mypyc", str(relative)], cwd=scratch,
                              capture_output=True, text=True,
                              env={**os.environ, "MYPYC_OPT_LEVEL": "3"})
        if done.returncode != 0:
            raise RuntimeError(f"mypyc failed on {module}:\n{done.stdout}{done.stderr}")
        stamp, built, runtime = paths(module, directory)
        directory.mkdir(parents=True, exist_ok=True)
        produced = Path(scratch) / relative.with_suffix("")
        for made, target in ((Path(f"{produced}__mypyc{SUFFIX}"), runtime),
                             (Path(f"{produced}{SUFFIX}"), built)):
            if not made.is_file():
                raise RuntimeError(f"mypyc made no {made.name} for {module}")
            _replace(made, target)
    _write(stamp, stamp_text)


def _replace(source: Path, target: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    shutil.copyfile(source, partial)
    partial.replace(target)   # a process loading it meanwhile sees the old or the new file


def _write(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.native.build", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--into", type=Path, default=BUILD_DIR, help="where the builds go")
    parser.add_argument("modules", nargs="*", default=list(COMPILED))
    args = parser.parse_args(argv)
    failed = 0
    for module in args.modules:
        if fresh(module, args.into):
            continue
        print(f"compiling {module} (mypyc)", file=sys.stderr)
        try:
            build(module, args.into)
        except (RuntimeError, OSError) as exc:
            print(f"not compiled, {module} runs as Python: {exc}", file=sys.stderr)
            failed = 1
    return failed


if __name__ == "__main__":
    sys.exit(main())
