"""The partners subgraph resolves Partner references and the viewer from the live registry,
for live and sandbox callers alike."""

import dataclasses

from partners.demo import PARTNER_SEED, demo_partner_id
from tests.partners.helpers import data, run
from tests.stores.helpers import partner


async def test_partner_entities_and_viewer(db):
    await PARTNER_SEED.apply(db, lambda _n: None)
    chain = demo_partner_id("quickmart")
    out = await data(db, """query($rep: [_Any!]!) { _entities(representations: $rep) {
      ... on Partner { id name type } } }""", partner(chain),
                     rep=[{"__typename": "Partner", "id": chain}])
    assert out["_entities"] == [{"id": chain, "name": "QuickMart Convenience",
                                 "type": "STORE_CHAIN"}]
    viewer = await data(db, "{ viewer { partner { id } clientId scopes } }",
                        partner(chain, "stores:read"))
    assert viewer["viewer"] == {"partner": {"id": chain}, "clientId": f"app-{chain}",
                                "scopes": ["stores:read"]}
    anonymous = await run(db, "{ viewer { clientId } }", None)
    assert anonymous.errors[0].extensions["code"] == "UNAUTHENTICATED"


async def test_sandbox_caller_reads_the_live_registry(db):
    """The registry has no sandbox twin: a sandbox app sees its partner all the same."""
    await PARTNER_SEED.apply(db, lambda _n: None)
    chain = demo_partner_id("quickmart")
    sandboxed = dataclasses.replace(partner(chain, "stores:read"), sandbox=True)
    viewer = await data(db, "{ viewer { partner { id name } sandbox } }", sandboxed)
    assert viewer["viewer"] == {"partner": {"id": chain, "name": "QuickMart Convenience"},
                                "sandbox": True}
    assert await db.client[f"{db.name}_sandbox"]["partners"].count_documents({}) == 0
