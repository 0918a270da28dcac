"""The sandbox demo data: loaded on a partner's first sandbox request, once, even when many
requests (or processes) arrive first together; a loader that died is taken over."""

import asyncio
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from gateway import app as app_module
from gateway.demo import sandbox_steps
from schema.catalog.seed import SANDBOX_PRODUCT_COUNT
from schema.kernel.claims import CLAIM_LEASE, CLAIMS
from schema.kernel.ids import new_id
from schema.kernel.mongo import Mongo
from schema.kernel.principal import Principal
from schema.kernel.sandbox import SandboxDemo
from schema.kernel.seeding import Advance, SeedStep
from schema.kernel.time import utcnow
from schema.stores.seed import SANDBOX_STORE_COUNT
from tests.sandbox.conftest import poster, running_platform

STORES = """query($merchant: ID!) { stores(filter: {merchantId: $merchant}, first: 100) {
  totalCount } }"""


def counted(applied: Counter[str], delay_s: float = 0.2, fail: bool = False):
    """:func:`sandbox_steps` whose applies are counted (and slowed, so first requests
    overlap the load; ``fail`` makes the first step fail once)."""
    failures = [fail]

    def wrap(step: SeedStep) -> SeedStep:
        async def apply(db: AsyncDatabase, advance: Advance) -> None:
            applied[step.name.split(":")[0]] += 1
            await asyncio.sleep(delay_s)
            if failures[0]:
                failures[0] = False
                raise RuntimeError("loader died")
            await step.apply(db, advance)
        return SeedStep(step.name, step.total, apply)

    def steps(partner_id: str) -> Sequence[SeedStep]:
        return tuple(wrap(step) for step in sandbox_steps(partner_id))

    return steps


def loaded(times: int = 1, **times_by_step: int) -> Counter[str]:
    """Every sandbox demo step applied ``times`` times (or as ``times_by_step`` says)."""
    names = [step.name.split(":")[0] for step in sandbox_steps(new_id("ptn"))]
    return Counter({name: times_by_step.get(name.replace("-", "_"), times) for name in names})


def sandbox_partner(partner_id: str) -> Principal:
    return Principal(client_id="app_sandbox", partner_id=partner_id, sandbox=True,
                     scopes=frozenset({"stores:read"}))


async def test_concurrent_first_requests_load_the_demo_once_and_all_see_it(
        mongo_client: Mongo, monkeypatch: pytest.MonkeyPatch) -> None:
    applied: Counter[str] = Counter()
    monkeypatch.setattr(app_module, "sandbox_steps", counted(applied))
    async with running_platform(mongo_client) as platform:
        partner = await platform.partner()
        tokens = [await platform.token(partner, sandbox=True) for _ in range(3)]
        live = await platform.token(partner, sandbox=False)
        async with httpx.AsyncClient(base_url=platform.base_url, timeout=60) as http:
            graphql = poster(http)
            assert (await graphql(STORES, {"merchant": partner}, token=live)
                    )["data"]["stores"]["totalCount"] == 0
            assert applied == Counter()   # a live token loads nothing

            answers = await asyncio.gather(*(
                graphql(STORES, {"merchant": partner}, token=tokens[n % len(tokens)])
                for n in range(12)))
            again = await graphql(STORES, {"merchant": partner}, token=tokens[0])

        assert [a["data"]["stores"]["totalCount"] for a in [*answers, again]] == \
            [SANDBOX_STORE_COUNT] * 13
        assert applied == loaded()
        assert await platform.sandbox["products"].count_documents(
            {"partnerId": partner}) == SANDBOX_PRODUCT_COUNT
        assert await platform.sandbox["inventory"].count_documents(
            {"partnerId": partner}) == SANDBOX_PRODUCT_COUNT * SANDBOX_STORE_COUNT


async def test_processes_starting_together_load_once_and_wait_for_the_loader(
        db: AsyncDatabase) -> None:
    applied: Counter[str] = Counter()
    partner = new_id("ptn")
    processes = [SandboxDemo(db, counted(applied)) for _ in range(4)]

    async def first_request(demo: SandboxDemo) -> int:
        await demo.ensure(sandbox_partner(partner))
        return await db["stores"].count_documents({"partnerId": partner})

    seen = await asyncio.gather(*(first_request(p) for p in processes for _ in range(3)))

    assert seen == [SANDBOX_STORE_COUNT] * 12
    assert applied == loaded()
    other = new_id("ptn")
    await processes[0].ensure(sandbox_partner(other))   # each partner has its own set
    assert await db["stores"].count_documents({"partnerId": other}) == SANDBOX_STORE_COUNT
    assert applied == loaded(2)


async def test_live_and_partnerless_callers_load_nothing(db: AsyncDatabase) -> None:
    applied: Counter[str] = Counter()
    demo = SandboxDemo(db, counted(applied))
    await demo.ensure(None)
    await demo.ensure(Principal(client_id="app_live", partner_id=new_id("ptn")))
    await demo.ensure(Principal(client_id="app_admin", sandbox=True))
    assert applied == Counter()
    assert await db.list_collection_names() == []


async def test_a_loader_that_died_holding_the_claim_is_taken_over(db: AsyncDatabase) -> None:
    applied: Counter[str] = Counter()
    partner = new_id("ptn")
    await db[CLAIMS].insert_one({"_id": f"sandbox-demo:{partner}",
                                 "at": utcnow() - CLAIM_LEASE - timedelta(seconds=1)})

    await SandboxDemo(db, counted(applied)).ensure(sandbox_partner(partner))

    assert applied == loaded()
    assert await db["stores"].count_documents({"partnerId": partner}) == SANDBOX_STORE_COUNT


async def test_a_load_that_fails_is_retried_by_the_next_request(db: AsyncDatabase) -> None:
    applied: Counter[str] = Counter()
    partner = new_id("ptn")
    demo = SandboxDemo(db, counted(applied, fail=True))

    with pytest.raises(RuntimeError, match="loader died"):
        await demo.ensure(sandbox_partner(partner))
    await demo.ensure(sandbox_partner(partner))

    assert applied == loaded(sandbox_stores=2)
    assert await db["stores"].count_documents({"partnerId": partner}) == SANDBOX_STORE_COUNT
