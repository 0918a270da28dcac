"""Apollo Gateway for comparison: installed from npm into ``bench/.node`` on first use."""

import shutil
import subprocess
from pathlib import Path

NODE_DIR = Path(__file__).resolve().parent.parent / ".node"
SCRIPT = Path(__file__).resolve().parent / "apollo_gateway.cjs"
PACKAGES = ("@apollo/gateway@2.14.4", "@apollo/server@5.5.1", "graphql@16.15.0")


class ApolloUnavailable(Exception):
    """Node or npm is missing, or the install failed; the message says which."""


def ensure_installed() -> Path:
    """``bench/.node/node_modules`` with Apollo Gateway, installing it when absent."""
    modules = NODE_DIR / "node_modules"
    if (modules / "@apollo" / "gateway").is_dir() and (modules / "@apollo" / "server").is_dir():
        return modules
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise ApolloUnavailable("node and npm are needed to run Apollo Gateway")
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [npm, "install", "--prefix", str(NODE_DIR), "--no-save", "--no-package-lock",
         "--no-audit", "--no-fund", "--loglevel=error", *PACKAGES],
        capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ApolloUnavailable(f"npm install failed: {result.stderr.strip()[-500:]}")
    return modules


def command(supergraph: Path, port: int) -> list[str]:
    return ["node", str(SCRIPT), str(supergraph), str(port)]
