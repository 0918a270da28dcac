"""``python -m bench.workers``: throughput of 1 vs 2 worker processes under the same load.

The same server is started twice, with ``--workers 1`` then ``--workers 2``, and driven for
``--seconds`` (after ``--warmup``) by ``--concurrency`` closed-loop clients spread over
``--drivers`` load-generator processes:

- ``serve`` (default): ``loopgate serve`` over a fresh database (``--uri``, else the embedded
  FerretDB), sent an anonymous ``{ __typename }``: the per-request path of the all-in-one
  server (HTTP, context, document cache, limits, execution) without database work, so the
  workers, not FerretDB, are what is measured;
- ``gateway``: ``loopgate gateway`` in front of the three subgraph processes of
  ``bench.gateway``, sent its nested query (three dependent subgraph fetches).

Printed: requests/s, p50/p99 latency and the server's CPU seconds per request for each
run, and the ratio 2 workers / 1 worker. The load generator and (for ``gateway``) the
subgraphs share the machine's cores with the server, so the ratio is a floor: on a
2-core machine it cannot approach 2; the core count and load average are printed beside it.
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import orjson
from pymongo import MongoClient

from bench.database import bench_database_uri
from bench.gateway.__main__ import FIRST, QUERY, SUBGRAPHS
from bench.gateway.processes import free_port, running, tree_cpu_seconds
from schema.kernel.ids import new_id
from schema.kernel.sandbox import sandbox_name

_ONE_CALLER = {"LOOPGATE_LIMITS": orjson.dumps({
    "concurrent_operations": 1000,
    "cost_bucket": {"size": 10_000_000, "restore_rate": 10_000_000}}).decode()}
"""All clients are one anonymous caller (one address): lift its concurrency and cost
limits, which would otherwise be what is measured."""

GATEWAY_SUPERGRAPH = Path(__file__).resolve().parents[1] / "gateway" / "supergraph.graphql"


@dataclass(frozen=True)
class Run:
    workers: int
    requests: int
    seconds: float
    latencies: list[float]
    cpu_seconds: float

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.workers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", choices=["serve", "gateway"], default="serve")
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="measured seconds per run (at most 20)")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--drivers", type=int, default=2,
                        help="load-generator processes sharing the clients (default 2)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="measurements of each server, alternating (default 2)")
    parser.add_argument("--uri", help="MongoDB URI for the serve target (default: embedded)")
    parser.add_argument("--port-base", type=int,
                        help="put the servers on consecutive ports from here (default: free "
                             "ports)")
    args = parser.parse_args()
    ports = iter(range(args.port_base, args.port_base + 10)) if args.port_base else None
    args.next_port = (lambda: next(ports)) if ports else free_port
    if not 0 < args.seconds <= 20:
        parser.error("--seconds must be within (0, 20]")
    return args


async def _drive(url: str, body: bytes, concurrency: int, seconds: float) -> tuple[int, list]:
    """Closed-loop clients posting ``body`` until ``seconds`` have passed."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    headers = {"content-type": "application/json", "accept": "application/json"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as reply:
                    payload = orjson.loads(await reply.read())
                if reply.status != 200 or payload.get("errors"):
                    raise RuntimeError(f"bad answer {reply.status}: {payload}")
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(client() for _ in range(concurrency)))
    return len(latencies), latencies


def _drive_process(url: str, body: bytes, concurrency: int, seconds: float) -> list[float]:
    """One load-generator process: its clients' latencies."""
    return asyncio.run(_drive(url, body, concurrency, seconds))[1]


def _load(url: str, body: bytes, args: argparse.Namespace, seconds: float) -> list[float]:
    """``--concurrency`` clients spread over ``--drivers`` processes, so the generator (a
    Python client costs about as much CPU a request as the server) is not the limit."""
    share = max(1, args.concurrency // args.drivers)
    with ProcessPoolExecutor(args.drivers) as pool:
        parts = pool.map(_drive_process, *zip(*[(url, body, share, seconds)] * args.drivers,
                                              strict=True))
        return [latency for part in parts for latency in part]


def _measure(url: str, body: bytes, pid: int, workers: int, args: argparse.Namespace) -> Run:
    _load(url, body, args, args.warmup)
    cpu_before, started = tree_cpu_seconds(pid), time.perf_counter()
    latencies = _load(url, body, args, args.seconds)
    elapsed = time.perf_counter() - started
    return Run(workers, len(latencies), elapsed, latencies, tree_cpu_seconds(pid) - cpu_before)


def _serve_runs(args: argparse.Namespace, work: Path) -> tuple[list[Run], str]:
    body = orjson.dumps({"query": "{ __typename }"})
    with ExitStack() as stack:
        uri = stack.enter_context(bench_database_uri(args.uri))
        db = f"bench_workers_{new_id('evt')[4:].lower()}"
        stack.callback(_drop, uri, db)   # last: after both servers stopped
        env = {"LOOPGATE_MONGODB_URI": uri, "LOOPGATE_DB": db, "LOOPGATE_STATE_DIR": str(work),
               **_ONE_CALLER}
        servers = {}
        for workers in (1, 2):
            port = args.next_port()
            url = f"http://127.0.0.1:{port}/graphql"
            servers[workers] = url, stack.enter_context(running(
                f"serve-{workers}", [sys.executable, "-m", "gateway.cli", "serve", "--port",
                                     str(port), "--workers", str(workers)],
                url, env=env, timeout=120, log_dir=work)).pid
        return _alternate(servers, body, args), "loopgate serve, anonymous { __typename }"


def _drop(uri: str, db: str) -> None:
    with MongoClient(uri) as client:
        client.drop_database(db)
        client.drop_database(sandbox_name(db))


def _gateway_runs(args: argparse.Namespace, work: Path) -> tuple[list[Run], str]:
    body = orjson.dumps({"query": QUERY, "variables": {"first": FIRST},
                         "operationName": "TopProducts"})
    with ExitStack() as stack:
        sdl = GATEWAY_SUPERGRAPH.read_text()
        for name in SUBGRAPHS:
            port = args.next_port()
            stack.enter_context(running(name, [sys.executable, "-m", "bench.gateway.subgraphs",
                                               name, str(port)],
                                        f"http://127.0.0.1:{port}/graphql", log_dir=work))
            sdl = sdl.replace(f"__{name.upper()}_PORT__", str(port))
        supergraph = work / "supergraph.graphql"
        supergraph.write_text(sdl)
        servers = {}
        for workers in (1, 2):
            port = args.next_port()
            url = f"http://127.0.0.1:{port}/graphql"
            servers[workers] = url, stack.enter_context(running(
                f"gateway-{workers}", [sys.executable, "-m", "gateway.cli", "gateway",
                                       "--supergraph", str(supergraph), "--port", str(port),
                                       "--workers", str(workers)],
                url, env=_ONE_CALLER, log_dir=work)).pid
        what = "loopgate gateway over 3 subgraph processes, nested query (3 fetches)"
        return _alternate(servers, body, args), what


def _alternate(servers: dict[int, tuple[str, int]], body: bytes,
               args: argparse.Namespace) -> list[Run]:
    """Both servers run side by side and are measured in turn (1, 2, 1, 2, …), so a change
    in the machine's load during the benchmark hits both alike."""
    return [_measure(url, body, pid, workers, args)
            for _ in range(args.rounds) for workers, (url, pid) in servers.items()]


def _report(runs: list[Run], what: str, args: argparse.Namespace) -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{what}; {args.concurrency} clients, {args.seconds:g} s a run, {args.rounds} "
          f"rounds; {os.cpu_count()} cores, load average {load}")
    print(f"{'workers':>8} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/req':>11}")
    for run in runs:
        print(f"{run.workers:>8} {run.throughput:>9.0f} {run.percentile(0.5):>8.1f} "
              f"{run.percentile(0.99):>8.1f} {1000 * run.cpu_seconds / run.requests:>11.2f}")
    medians = {w: statistics.median(r.throughput for r in runs if r.workers == w)
               for w in (1, 2)}
    print(f"ratio 2 workers / 1 worker (median req/s): {medians[2] / medians[1]:.2f}")


def main() -> None:
    args = _arguments()
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
        runner = _serve_runs if args.target == "serve" else _gateway_runs
        runs, what = runner(args, Path(tmp))
    _report(runs, what, args)


if __name__ == "__main__":
    main()
