"""``python -m bench.peers``: Loopgate, Apollo Gateway, Hive Gateway and Hive Router side by side.

The public federation gateway benchmark's shape: four Node subgraphs (accounts, inventory,
products, reviews; ``bench/peers/subgraphs.cjs``), the supergraph composed from them by
``@apollo/composition``, and its nested query (users → reviews → product → reviews → author →
reviews → product, and topProducts → …) sent by ``--concurrency`` closed-loop clients. Each
gateway runs alone in front of the same subgraphs (one after the other, so none competes with
another for the cores), gets ``--warmup`` requests, then ``--requests`` measured ones.

Printed per gateway: throughput, p50/p99 latency, the gateway's own CPU time per request
(user+sys of its process tree from ``/proc``), the subgraphs' CPU per request, and the ratios of
Loopgate's CPU per request to each peer's. Every gateway's answer (``data`` and ``errors``;
``extensions`` such as Loopgate's cost report are not compared) must be identical, same key
order included, to Loopgate's, or the command exits non-zero.

The peers are installed on first use into ``.scratch/peers`` (git-ignored): Apollo Gateway and
Hive Gateway with npm, Hive Router with ``cargo install`` (it builds for several minutes).
Everything listens on 127.0.0.1 ports 4400-4499.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import uvloop

from bench.gateway.load import LoadResult, run_load
from bench.gateway.processes import running, tree_cpu_seconds
from bench.peers import install, targets
from bench.peers.targets import Target

HERE = Path(__file__).resolve().parent
SUBGRAPHS = {"accounts": 4401, "inventory": 4402, "products": 4403, "reviews": 4404}
PORTS = {"loopgate": 4410, "apollo-gateway": 4411, "hive-gateway": 4412, "hive-router": 4413}
QUERY = (HERE / "query.graphql").read_text()


@dataclass(frozen=True)
class Measured:
    result: LoadResult
    cpu: float
    subgraph_cpu: float


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.peers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per gateway")
    parser.add_argument("--warmup", type=int, default=300, help="unmeasured requests first")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--only", default=",".join(PORTS),
                        help=f"comma-separated gateways to run (default: {','.join(PORTS)})")
    return parser.parse_args()


def _sender(session: aiohttp.ClientSession, url: str) -> Callable[[], Awaitable[Any]]:
    body = orjson.dumps({"query": QUERY, "operationName": "TestQuery"})
    headers = {"accept": "application/json", "content-type": "application/json"}

    async def send() -> Any:
        async with session.post(url, data=body, headers=headers) as reply:
            reply.raise_for_status()
            return orjson.loads(await reply.read())

    return send


def _check_free(ports: list[int]) -> None:
    """Refuse to start when a port is taken: a leftover server there would answer the
    readiness probe and be measured instead of the process just started."""
    for port in ports:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError as exc:
                raise RuntimeError(f"port {port} is in use ({exc.strerror}); stop what listens "
                                   "there first") from exc


def _targets(names: list[str], supergraph: Path, work: Path, concurrency: int) -> list[Target]:
    chosen: list[Target] = []
    for name in names:
        port = PORTS[name]
        try:
            if name == "loopgate":
                chosen.append(targets.loopgate(supergraph, port, concurrency))
            elif name == "apollo-gateway":
                chosen.append(targets.apollo_gateway(supergraph, port, install.node_modules()))
            elif name == "hive-gateway":
                chosen.append(targets.hive_gateway(supergraph, port, install.node_modules()))
            else:
                chosen.append(targets.hive_router(supergraph, port, install.hive_router(), work))
        except install.PeerUnavailable as exc:
            print(f"skipping {name}: {exc}", file=sys.stderr)
    return chosen


def _supergraph(work: Path, modules: Path) -> Path:
    template = work / "supergraph.template.graphql"
    subprocess.run(["node", str(HERE / "subgraphs.cjs"), "compose", str(template)], check=True,
                   env={**os.environ, "NODE_PATH": str(modules)})
    sdl = template.read_text()
    for name, port in SUBGRAPHS.items():
        sdl = sdl.replace(f"__{name.upper()}_PORT__", str(port))
    supergraph = work / "supergraph.graphql"
    supergraph.write_text(sdl)
    return supergraph


async def _measure(target: Target, args: argparse.Namespace, work: Path,
                   subgraph_pids: list[int]) -> tuple[Measured, Any]:
    """Start ``target``, take its answer, warm it up, then measure it under load."""
    with running(target.name, target.command, target.url, env=target.env, log_dir=work) \
            as process:
        connector = aiohttp.TCPConnector(limit=args.concurrency * 2)
        async with aiohttp.ClientSession(connector=connector,
                                         timeout=aiohttp.ClientTimeout(total=60.0)) as client:
            send = _sender(client, target.url)
            reply = await send()
            answer = {key: reply[key] for key in ("data", "errors") if key in reply}
            await run_load(send, args.warmup, args.concurrency)
            before = tree_cpu_seconds(process.pid)
            before_subgraphs = sum(tree_cpu_seconds(pid) for pid in subgraph_pids)
            result = await run_load(send, args.requests, args.concurrency)
            cpu = (tree_cpu_seconds(process.pid) - before) / args.requests
            subgraph_cpu = (sum(tree_cpu_seconds(pid) for pid in subgraph_pids)
                            - before_subgraphs) / args.requests
    return Measured(result, cpu, subgraph_cpu), answer


async def _bench(args: argparse.Namespace, work: Path, stack: ExitStack) -> int:
    names = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(names) - set(PORTS))
    if unknown:
        raise RuntimeError(f"unknown gateways: {', '.join(unknown)} (known: {', '.join(PORTS)})")
    _check_free([*SUBGRAPHS.values(), *(PORTS[name] for name in names)])
    modules = install.node_modules()
    node_env = {"NODE_PATH": str(modules), "NODE_ENV": "production"}
    subgraph_pids = []
    for name, port in SUBGRAPHS.items():
        process = stack.enter_context(running(
            name, ["node", str(HERE / "subgraphs.cjs"), name, str(port)],
            f"http://127.0.0.1:{port}/graphql", env=node_env, log_dir=work))
        subgraph_pids.append(process.pid)
    supergraph = _supergraph(work, modules)
    measured: dict[str, Measured] = {}
    answers: dict[str, Any] = {}
    for target in _targets(names, supergraph, work, args.concurrency):
        print(f"running {target.name} …", flush=True)
        measured[target.name], answers[target.name] = await _measure(target, args, work,
                                                                     subgraph_pids)
    mismatches = _report(args, measured, answers)
    return 1 if mismatches else 0


def _report(args: argparse.Namespace, measured: dict[str, Measured],
            answers: dict[str, Any]) -> list[str]:
    print(f"\n{args.requests} requests after {args.warmup} warm-up, {args.concurrency} concurrent "
          f"clients, the federation benchmark query over 4 Node subgraphs, all on 127.0.0.1")
    print(f"{'gateway':<16}{'throughput':>12} {'p50':>10} {'p99':>10} {'CPU/req':>10} "
          f"{'Loopgate/it':>12} {'subgraphs CPU/req':>18}")
    loopgate = measured.get("loopgate")
    for name, row in measured.items():
        ratio = f"{loopgate.cpu / row.cpu:11.2f}x" if loopgate and name != "loopgate" else ""
        p50, p99 = row.result.percentile(0.5) * 1e3, row.result.percentile(0.99) * 1e3
        print(f"{name:<16}{row.result.throughput:8.0f} r/s {p50:7.1f} ms {p99:7.1f} ms "
              f"{row.cpu * 1e3:7.3f} ms {ratio:>12} {row.subgraph_cpu * 1e3:15.3f} ms")
    reference_name = "loopgate" if "loopgate" in answers else next(iter(answers), None)
    if reference_name is None:
        return []
    reference = orjson.dumps(answers[reference_name])
    mismatches = [f"{name} ({_first_difference(answers[reference_name], answer, '')})"
                  for name, answer in answers.items() if orjson.dumps(answer) != reference]
    if "errors" in answers[reference_name]:
        mismatches.append(f"{reference_name} answered with errors")
    print(f"answers identical to {reference_name}'s" if not mismatches
          else f"ANSWERS DIFFER from {reference_name}'s: {', '.join(mismatches)}")
    return mismatches


def _first_difference(expected: Any, actual: Any, at: str) -> str:
    """Where two answers first part (keys in order, then values), for the mismatch report."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        if list(expected) != list(actual):
            return f"{at or '.'}: keys {list(expected)} vs {list(actual)}"
        for key in expected:
            if orjson.dumps(expected[key]) != orjson.dumps(actual[key]):
                return _first_difference(expected[key], actual[key], f"{at}.{key}")
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
            if orjson.dumps(left) != orjson.dumps(right):
                return _first_difference(left, right, f"{at}[{index}]")
    return f"{at or '.'}: {str(expected)[:80]} vs {str(actual)[:80]}"


def main() -> int:
    args = _arguments()
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as tmp, ExitStack() as stack:
        try:
            return uvloop.run(_bench(args, Path(tmp), stack))
        except (RuntimeError, install.PeerUnavailable) as exc:
            print(f"bench failed: {exc}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
