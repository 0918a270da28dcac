"""``python -m bench.gateway``: Loopgate vs direct subgraph calls vs Apollo Gateway.

Three subgraphs run as separate uvicorn processes on 127.0.0.1. The same nested query (three
dependent fetches) is sent by ``--concurrency`` clients, ``--requests`` times, to: the
subgraphs directly (the client makes the three calls itself), Loopgate (``loopgate gateway``
in its own process) and Apollo Gateway (Node, installed into bench/.node on first run).
Reported: throughput, p50/p99 latency, Loopgate's overhead per request over the direct
calls, planning time cached vs uncached, and each gateway process's own CPU time (user+sys)
per request. Answers of both gateways are checked against the directly stitched answer.
"""

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from bench.gateway import apollo
from bench.gateway.direct import DirectClient
from bench.gateway.load import LoadResult, paired_overhead, run_load
from bench.gateway.planning import PlanningTimes, planning_times
from bench.gateway.processes import cpu_seconds, free_port, running

HERE = Path(__file__).resolve().parent
SUBGRAPHS = ("products", "reviews", "users")
FIRST = 5
QUERY = """query TopProducts($first: Int!) {
  topProducts(first: $first) { upc name price reviews { id body author { id username } } }
}"""


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.gateway", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per target")
    parser.add_argument("--warmup", type=int, default=300, help="unmeasured requests first")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--sequential", type=int, default=200,
                        help="direct/Loopgate pairs from one client, for the latency overhead")
    parser.add_argument("--skip-apollo", action="store_true", help="no Node / npm needed")
    return parser.parse_args()


def _gateway_sender(session: aiohttp.ClientSession, url: str) -> Callable[[], Awaitable[Any]]:
    body = orjson.dumps({"query": QUERY, "variables": {"first": FIRST},
                         "operationName": "TopProducts"})
    headers = {"accept": "application/json", "content-type": "application/json"}

    async def send() -> Any:
        async with session.post(url, data=body, headers=headers) as reply:
            reply.raise_for_status()
            return orjson.loads(await reply.read())

    return send


async def _measure(send: Callable[[], Awaitable[Any]], args: argparse.Namespace,
                   pid: int | None) -> tuple[LoadResult, float | None]:
    """Warm up, then run the measured load; CPU seconds of ``pid`` per request, if given."""
    await run_load(send, args.warmup, args.concurrency)
    before = cpu_seconds(pid) if pid else 0.0
    result = await run_load(send, args.requests, args.concurrency)
    cpu = (cpu_seconds(pid) - before) / args.requests if pid else None
    return result, cpu


def _row(name: str, result: LoadResult, cpu: float | None) -> str:
    cpu_text = f"{cpu * 1e3:8.3f} ms" if cpu is not None else "       —   "
    return (f"{name:<16}{result.throughput:9.0f} req/s {result.percentile(0.5) * 1e3:8.2f} ms "
            f"{result.percentile(0.99) * 1e3:8.2f} ms {cpu_text}")


async def _bench(args: argparse.Namespace, work: Path, stack: ExitStack) -> int:
    ports = {name: free_port() for name in SUBGRAPHS}
    urls = {name: f"http://127.0.0.1:{port}/graphql" for name, port in ports.items()}
    for name in SUBGRAPHS:
        stack.enter_context(running(name, [sys.executable, "-m", "bench.gateway.subgraphs",
                                           name, str(ports[name])], urls[name], log_dir=work))
    sdl = (HERE / "supergraph.graphql").read_text()
    for name, port in ports.items():
        sdl = sdl.replace(f"__{name.upper()}_PORT__", str(port))
    supergraph = work / "supergraph.graphql"
    supergraph.write_text(sdl)

    lg_port = free_port()
    lg_url = f"http://127.0.0.1:{lg_port}/graphql"
    loopgate = stack.enter_context(running(
        "loopgate", [sys.executable, "-m", "gateway.cli", "gateway", "--supergraph",
                     str(supergraph), "--port", str(lg_port)], lg_url, log_dir=work,
        # every client is one unauthenticated address here: one "app" with all the load
        env={"LOOPGATE_LIMITS": f'{{"concurrent_operations": {args.concurrency}}}'}))
    apollo_process = apollo_url = None
    if not args.skip_apollo:
        modules = apollo.ensure_installed()
        ap_port = free_port()
        apollo_url = f"http://127.0.0.1:{ap_port}/"
        apollo_process = stack.enter_context(running(
            "apollo", apollo.command(supergraph, ap_port), apollo_url,
            env={"NODE_PATH": str(modules), "NODE_ENV": "production"}, log_dir=work))

    connector = aiohttp.TCPConnector(limit=args.concurrency * 4)
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=30.0)) as client:
        direct = DirectClient(client, urls, FIRST)
        expected = await direct.query()
        targets: list[tuple[str, Callable[[], Awaitable[Any]], int | None]] = [
            ("direct", direct.query, None),
            ("loopgate", _gateway_sender(client, lg_url), loopgate.pid)]
        if apollo_url and apollo_process:
            targets.append(("apollo-gateway", _gateway_sender(client, apollo_url),
                            apollo_process.pid))
        mismatches = [name for name, send, _ in targets if await send() != expected]
        results = {name: await _measure(send, args, pid) for name, send, pid in targets}
        overhead = await paired_overhead(targets[0][1], targets[1][1], args.sequential)

    times = planning_times(sdl, QUERY)
    _report(args, results, overhead, times, mismatches)
    return 1 if mismatches else 0


def _report(args: argparse.Namespace, results: dict[str, tuple[LoadResult, float | None]],
            overhead: tuple[float, float, float], times: PlanningTimes,
            mismatches: list[str]) -> None:
    print(f"\n{args.requests} requests, {args.concurrency} concurrent clients, query spanning "
          f"{len(SUBGRAPHS)} subgraphs (3 dependent fetches), all on 127.0.0.1")
    print(f"{'target':<16}{'throughput':>15} {'p50':>11} {'p99':>11} {'CPU/request':>11}")
    for name, (result, cpu) in results.items():
        print(_row(name, result, cpu))
    direct, _ = results["direct"]
    loopgate, lg_cpu = results["loopgate"]
    direct_alone, loopgate_alone, difference = overhead
    print(f"\nLoopgate overhead per request (one client alternating {args.sequential} pairs, "
          f"median difference): {difference * 1e3:.2f} ms ({loopgate_alone * 1e3:.2f} ms vs "
          f"{direct_alone * 1e3:.2f} ms direct); "
          f"throughput ratio Loopgate/direct: {loopgate.throughput / direct.throughput:.2f}")
    print(f"planning: uncached {times.uncached * 1e3:.3f} ms, cached {times.cached * 1e6:.1f} µs"
          f" ({times.uncached / times.cached:.0f} times faster)")
    if "apollo-gateway" in results:
        apollo_result, ap_cpu = results["apollo-gateway"]
        assert lg_cpu is not None and ap_cpu is not None
        print(f"CPU per request Loopgate/Apollo: {lg_cpu / ap_cpu:.2f} (target ≤ 0.50); "
              f"throughput Loopgate/Apollo: {loopgate.throughput / apollo_result.throughput:.2f}")
    print("answers identical to the direct calls" if not mismatches
          else f"ANSWERS DIFFER from the direct calls: {', '.join(mismatches)}")


def main() -> int:
    args = _arguments()
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp, ExitStack() as stack:
        try:
            return asyncio.run(_bench(args, Path(tmp), stack))
        except (RuntimeError, apollo.ApolloUnavailable) as exc:
            print(f"bench failed: {exc}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
