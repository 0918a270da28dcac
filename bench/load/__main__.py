"""``python -m bench.load``: many clients against ``loopgate serve`` for a while; must not err.

    .venv/bin/python -m bench.load [--uri mongodb://…] [--clients 50] [--seconds 60]
                                   [--port 4750] [--sample-every 3]

The server runs in its own process (:func:`bench.served.serve`, as ``loopgate serve`` over
the demo data; :mod:`bench.load.setup`) and the clients in this one, each with its own token
sending the mix of :mod:`bench.load.operations` in a closed loop. Prints requests per second,
p50/p99 latency (overall and per operation), errors, the server's CPU time, and its RSS
sampled during the run with the ratio of its last quarter's median to its first quarter's
(flat memory: close to 1). Exits non-zero on any
error. The data lives in the ``bench_load`` database (seeded once, kept between runs).
"""

import argparse
import sys

import uvloop

from bench.database import bench_database_uri, server_name
from bench.load.run import run_load
from bench.load.setup import seed, tokens
from bench.served import serve
from schema.kernel.mongo import Mongo

DB = "bench_load"


async def _prepare(uri: str) -> str:
    mongo = Mongo.open(uri, DB)
    try:
        await seed(mongo.db)
        return await server_name(mongo.client)
    finally:
        await mongo.close()


async def _load(uri: str, base: str, pid: int, args: argparse.Namespace) -> int:
    mongo = Mongo.open(uri, DB)
    try:
        minted = await tokens(mongo.db, base, args.clients)
    finally:
        await mongo.close()
    result = await run_load(base, minted, args.seconds, pid, sample_every=args.sample_every)
    print(result.summary(), flush=True)
    return 1 if result.error_count else 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uri", help="MongoDB URI (default: the embedded FerretDB)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--port", type=int, default=4750, help="the server's port")
    parser.add_argument("--sample-every", type=float, default=3.0,
                        help="seconds between RSS samples of the server")
    args = parser.parse_args()
    with bench_database_uri(args.uri) as uri:
        database = uvloop.run(_prepare(uri))
        print(f"{args.clients} clients for {args.seconds:g} s against loopgate serve "
              f"on {database}", flush=True)
        with serve(uri, DB, args.port) as (base, pid):
            return uvloop.run(_load(uri, base, pid, args))


if __name__ == "__main__":
    sys.exit(main())
