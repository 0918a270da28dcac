"""After operations run out of their time budget, the process's database client still works.

Cancelling a subgraph's resolvers at the very moment PyMongo's own timeout fires can leave the
client's connection pool locked for good on Python 3.11 (``CANCEL_GRACE_S`` in
:mod:`gateway.federation.executor.run` explains it): every later database call of the
process then waits for ever, deaf to cancellation. The platform graph is driven here as the
memory benchmark found it: 20 concurrent operations of 6 aliased ``Store.inventory`` lists
over a 3 s budget. The scenario runs in its own process (``python -m`` this module), so a
locked pool fails the test at its timeout instead of hanging the suite.
"""

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from pymongo import AsyncMongoClient

from gateway.config import Settings
from gateway.demo import demo_steps
from gateway.limits import OperationLimits
from gateway.platform import platform_router
from gateway.service import Gateway, GraphQLRequest
from partners.demo import demo_partner_id
from schema.kernel.principal import Principal
from schema.kernel.sandbox import Databases
from tests.gateway.test_limits import platform_supergraph

PARTNER = demo_partner_id("quickmart")
LISTS = " ".join(f"a{i}: stores(first: 10, filter: {{merchantId: \"{PARTNER}\"}}) {{ edges "
                 "{ node { inventory(first: 50) { edges { node { onHand product { sku } } } } "
                 "} } }" for i in range(6))
ROOT = Path(__file__).resolve().parents[2]


async def scenario(uri: str) -> str:
    """Time out 20 heavy operations, then ask for one store on the same client."""
    client: AsyncMongoClient = AsyncMongoClient(uri, tz_aware=True)
    db = client[f"t_budget_{time.monotonic_ns()}"]
    for step in demo_steps(Settings(demo_stock_stores=20)):
        await step.apply(db, lambda _n: None)
    gateway = Gateway(platform_supergraph(), platform_router(Databases.live_only(db)),
                      limits=OperationLimits(timeout_seconds=3))
    principal = Principal("app_budget", frozenset({"stores:read", "inventory:read"}), PARTNER)
    results = await asyncio.gather(*(
        gateway.execute(GraphQLRequest("{ " + LISTS + " }"), {"principal": principal})
        for _ in range(20)))
    codes = sorted({e["extensions"]["code"] for r in results
                    for e in r.response.get("errors", [])})
    one_store = "{ stores(first: 1) { edges { node { code } } } }"
    plain = await gateway.execute(GraphQLRequest(one_store), {"principal": principal})
    await client.drop_database(db.name)
    await client.close()
    return f"{','.join(codes)} {plain.response}"


def test_the_database_client_answers_after_operations_ran_out_of_time(ferretdb: str) -> None:
    try:
        done = subprocess.run([sys.executable, "-m", "tests.gateway.test_budget_recovery",
                               ferretdb], cwd=ROOT, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired as hung:
        raise AssertionError("the database client hung after the operations timed out") from hung
    assert done.returncode == 0, done.stderr[-2000:]
    answered = "{'data': {'stores': {'edges': [{'node': {'code': 'QM00000'}}]}}}"
    assert done.stdout.strip() == f"GATEWAY_TIMEOUT {answered}"


if __name__ == "__main__":
    print(asyncio.run(scenario(sys.argv[1])))
