"""1,000 payments with a STORED_VALUE portion from 50 concurrent clients: through the
gateway (``createPayment`` over HTTP to ``loopgate serve``) against the same wallet writes
through the repository directly.

    .venv/bin/python -m bench.payments [--uri mongodb://…] [--payments 1000] [--clients 50]

Each client is its own merchant's app (a token each, so no app's concurrency limit is in the
way) paying from its own member's wallet, one payment after another; the clients run at once.
Three runs on the same database:

- ``gateway``: ``createPayment`` through ``loopgate serve`` in its own process (HTTP, token
  check, planning, idempotency key, payment document, work list, the wallet take, the
  SUCCEEDED write with its event);
- ``domain``: the payments subgraph's own code in this process (:func:`create_payment` under
  :func:`run_once`), no HTTP or gateway;
- ``wallet``: the wallet write alone (:func:`schema.wallet.take`), the baseline.

Printed: throughput and p50/p99 latency per run, and the gateway/wallet ratios. Afterwards
every wallet must hold exactly its starting balance minus what its payments took, or the
command exits non-zero.
"""

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

import httpx
import uvloop
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from auth.direct import client_credentials_token
from auth.service import AuthService
from bench.database import bench_database_uri, server_name
from bench.gateway.processes import free_port
from bench.served import serve
from schema.kernel.idempotency import run_once
from schema.kernel.ids import new_id, stable_id
from schema.kernel.money import Money
from schema.membership.members import register
from schema.membership.relationships import record_relationship
from schema.payments.create import Caller, PaymentRequest, create_payment
from schema.payments.portions import PortionRequest
from schema.wallet import credit, take, wallet_of

DB = "bench_payments"
AMOUNT = 100
START_BALANCE = 10_000_000
PAY = """mutation($input: CreatePaymentInput!) { createPayment(input: $input) {
  payment { status } userErrors { code message } } }"""

Pay = Callable[[int, int], Awaitable[None]]


async def _prepare(db: AsyncDatabase, clients: int) -> list[tuple[str, str]]:
    """(merchant, member) per client: a partner, and a member with a large balance."""
    pairs = []
    for index in range(clients):
        merchant = stable_id("ptn", f"bench-merchant-{index}")
        await db["partners"].insert_one({"_id": merchant, "name": f"Bench {index}",
                                         "type": "MERCHANT"})
        member = (await register(db, f"+86137{index:08d}", f"Payer {index}", merchant)
                  ).member["_id"]
        await record_relationship(db, merchant, member)
        await credit(db, member, f"bench-credit-{index}", amount=START_BALANCE, kind="TOP_UP",
                     reference="bench")
        pairs.append((merchant, member))
    return pairs


async def _run(name: str, pay: Pay, clients: int, payments: int) -> list[float]:
    """``payments`` calls of ``pay(client, n)`` from ``clients`` concurrent clients; prints
    and returns the latencies (seconds)."""
    latencies: list[float] = []

    async def client(index: int) -> None:
        for n in range(index, payments, clients):
            start = time.perf_counter()
            await pay(index, n)
            latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - start
    cuts = statistics.quantiles(latencies, n=100)
    print(f"{name:8} {payments / elapsed:8.0f} payments/s   p50 {cuts[49] * 1000:8.1f} ms   "
          f"p99 {cuts[98] * 1000:8.1f} ms", flush=True)
    return [payments / elapsed, cuts[49], cuts[98]]


async def _tokens(db: AsyncDatabase, base: str, pairs: list[tuple[str, str]]) -> list[str]:
    service = AuthService.create(db, issuer=base)
    await service.start()
    tokens = []
    for merchant, _member in pairs:
        issued = await service.clients.create(partner_id=merchant, name="Bench app",
                                              scopes="payments:write payments:read")
        answer = await client_credentials_token(service, issued.client.client_id,
                                                issued.client_secret)
        tokens.append(answer.body["access_token"])
    return tokens


async def _gateway(base: str, tokens: list[str], pairs: list[tuple[str, str]],
                   clients: int, payments: int) -> list[float]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
        async def pay(client: int, n: int) -> None:
            variables = {"input": {
                "purpose": "ORDER", "memberId": pairs[client][1], "amount": {"amount": AMOUNT},
                "portions": [{"method": "STORED_VALUE", "amount": {"amount": AMOUNT}}],
                "idempotencyKey": f"bench-{n}-{new_id('evt')}"}}
            answer = (await http.post("/graphql", json={"query": PAY, "variables": variables},
                                      headers={"authorization": f"Bearer {tokens[client]}"}
                                      )).json()
            payload = answer["data"]["createPayment"]
            if payload["userErrors"] or payload["payment"]["status"] != "SUCCEEDED":
                raise RuntimeError(f"payment refused: {answer}")

        await _run("warmup", pay, clients, clients * 2)
        return await _run("gateway", pay, clients, payments)


async def _direct(db: AsyncDatabase, pairs: list[tuple[str, str]], clients: int,
                  payments: int) -> tuple[list[float], list[float]]:
    async def domain(client: int, n: int) -> None:
        merchant, member = pairs[client]
        request = PaymentRequest("ORDER", member, None, Money(AMOUNT),
                                 [PortionRequest("STORED_VALUE", Money(AMOUNT), None)])

        async def run(operation_id: str) -> dict:
            return await create_payment(db, Caller(merchant, "bench"), request, operation_id)

        result = await run_once(db, merchant, "createPayment", new_id("evt"), {"n": n}, run,
                                lambda e: {"userErrors": [e.to_dict()]})
        if result["userErrors"]:
            raise RuntimeError(f"payment refused: {result}")

    async def wallet(client: int, n: int) -> None:
        merchant, member = pairs[client]
        await take(db, member, new_id("opn"), merchant_id=merchant, points=0,
                   stored_value=AMOUNT, reference=f"bench-{n}")

    return (await _run("domain", domain, clients, payments),
            await _run("wallet", wallet, clients, payments))


async def main(uri: str, payments: int, clients: int) -> int:
    mongo = AsyncMongoClient(uri, tz_aware=True)
    print(f"server: {await server_name(mongo)}; {payments} payments with a STORED_VALUE "
          f"portion from {clients} concurrent clients (one merchant app and member each)")
    await mongo.drop_database(DB)
    db = mongo[DB]
    pairs = await _prepare(db, clients)
    with serve(uri, DB, free_port()) as (base, _pid):
        tokens = await _tokens(db, base, pairs)
        gateway = await _gateway(base, tokens, pairs, clients, payments)
    domain, wallet = await _direct(db, pairs, clients, payments)
    print(f"gateway/wallet: throughput {gateway[0] / wallet[0]:.2f}, p50 latency "
          f"{gateway[1] / wallet[1]:.2f}x, p99 latency {gateway[2] / wallet[2]:.2f}x; "
          f"domain/wallet throughput {domain[0] / wallet[0]:.2f}")
    short = [member for index, (_, member) in enumerate(pairs)
             if (await wallet_of(db, member)).stored_value != START_BALANCE - AMOUNT * (
                 2 + 3 * len(range(index, payments, clients)))]
    await mongo.drop_database(DB)
    await mongo.close()
    if short:
        print(f"FAILED: {len(short)} wallets do not hold what their payments left")
        return 1
    print("every wallet holds its start minus what its payments took")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--uri", help="MongoDB URI (default: the embedded FerretDB)")
    parser.add_argument("--payments", type=int, default=1_000)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    with bench_database_uri(args.uri) as uri, \
            asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        sys.exit(runner.run(main(uri, args.payments, args.clients)))
