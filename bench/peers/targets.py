"""How each gateway is started in front of the benchmark's supergraph, on a given port."""

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
APOLLO_SCRIPT = HERE.parent / "gateway" / "apollo_gateway.cjs"


@dataclass(frozen=True)
class Target:
    """One gateway: its command line, where it answers, and its environment."""

    name: str
    command: list[str]
    url: str
    env: dict[str, str] = field(default_factory=dict)


def loopgate(supergraph: Path, port: int, concurrency: int) -> Target:
    return Target("loopgate", [sys.executable, "-m", "gateway.cli", "gateway", "--supergraph",
                               str(supergraph), "--port", str(port)],
                  f"http://127.0.0.1:{port}/graphql",
                  {"LOOPGATE_LIMITS": json.dumps(_limits(concurrency))})


def _limits(concurrency: int) -> dict[str, object]:
    """Limits that let the load through: every client is one unauthenticated address here,
    so one "app" carries all of it, and the query's estimated cost (about 23,000) is over the
    default ceiling. The peers enforce no such limits; Loopgate still runs its checks."""
    unbounded = 10**12
    return {"concurrent_operations": concurrency, "cost": 1_000_000,
            "concurrent_cost": unbounded,
            "cost_bucket": {"size": unbounded, "restore_rate": unbounded}}


def apollo_gateway(supergraph: Path, port: int, modules: Path) -> Target:
    return Target("apollo-gateway", ["node", str(APOLLO_SCRIPT), str(supergraph), str(port)],
                  f"http://127.0.0.1:{port}/",
                  {"NODE_PATH": str(modules), "NODE_ENV": "production"})


def hive_gateway(supergraph: Path, port: int, modules: Path) -> Target:
    return Target("hive-gateway", [str(modules / ".bin" / "hive-gateway"), "supergraph",
                                   str(supergraph), "--host", "127.0.0.1", "--port", str(port),
                                   "--fork", "1", "--disable-websockets"],
                  f"http://127.0.0.1:{port}/graphql", {"NODE_ENV": "production"})


def hive_router(supergraph: Path, port: int, binary: Path, work: Path) -> Target:
    config = work / "router.config.yaml"
    config.write_text(f"supergraph:\n  source: file\n  path: {supergraph}\n"
                      f"http:\n  host: 127.0.0.1\n  port: {port}\n"
                      "log:\n  level: error\n")
    return Target("hive-router", [str(binary)], f"http://127.0.0.1:{port}/graphql",
                  {"ROUTER_CONFIG_FILE_PATH": str(config)})
