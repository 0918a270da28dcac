"""The peer gateways, installed into a scratch folder that git ignores (never committed).

Apollo Gateway and Hive Gateway come from npm, Hive Router from crates.io (``cargo install``
builds it: several minutes on two cores, once). Each install is skipped when its result is
already there, so only the first run pays for it.
"""

import shutil
import subprocess
from pathlib import Path

SCRATCH = Path(__file__).resolve().parents[2] / ".scratch" / "peers"
NODE_DIR = SCRATCH / "node"
ROUTER_DIR = SCRATCH / "hive-router"
NPM_PACKAGES = ("@apollo/gateway@2.14.4", "@apollo/server@5.5.1", "@apollo/subgraph@2.14.4",
                "@graphql-hive/gateway@2.15.1", "graphql@16.15.0")
ROUTER_CRATE = ("hive-router", "~0.2")


class PeerUnavailable(Exception):
    """A tool is missing or an install failed; the message says which."""


def node_modules() -> Path:
    """``node_modules`` with the npm packages (the subgraphs need them too), installed if absent."""
    modules = NODE_DIR / "node_modules"
    if all((modules / name.rsplit("@", 1)[0]).is_dir() for name in NPM_PACKAGES):
        return modules
    npm = _tool("npm")
    _tool("node")
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    print(f"installing {', '.join(NPM_PACKAGES)} into {NODE_DIR} …", flush=True)
    _run([npm, "install", "--prefix", str(NODE_DIR), "--no-save", "--no-package-lock",
          "--no-audit", "--no-fund", "--loglevel=error", *NPM_PACKAGES], "npm install")
    return modules


def hive_router() -> Path:
    """The ``hive_router`` binary, built with ``cargo install`` if absent."""
    binary = ROUTER_DIR / "bin" / "hive_router"
    if binary.is_file():
        return binary
    cargo = _tool("cargo")
    name, version = ROUTER_CRATE
    print(f"building {name} {version} with cargo into {ROUTER_DIR} (minutes, once) …",
          flush=True)
    _run([cargo, "install", "--root", str(ROUTER_DIR), name, "--version", version,
          "--features", "graphiql"], "cargo install")
    if not binary.is_file():
        raise PeerUnavailable(f"cargo install did not produce {binary}")
    return binary


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise PeerUnavailable(f"{name} is needed (not on PATH)")
    return path


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PeerUnavailable(f"{what} failed: {result.stderr.strip()[-800:]}")
