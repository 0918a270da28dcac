"""The minimal partners subgraph resolves Partner references and the viewer."""

from partners.demo import PARTNER_SEED, demo_partner_id
from partners.subgraph.schema import schema
from tests.stores.helpers import data, partner, run


async def test_partner_entities_and_viewer(db):
    await PARTNER_SEED.apply(db, lambda _n: None)
    chain = demo_partner_id("quickmart")
    out = await data(schema, db, """query($rep: [_Any!]!) { _entities(representations: $rep) {
      ... on Partner { id name type } } }""", partner(chain),
                     rep=[{"__typename": "Partner", "id": chain}])
    assert out["_entities"] == [{"id": chain, "name": "QuickMart Convenience",
                                 "type": "STORE_CHAIN"}]
    viewer = await data(schema, db, "{ viewer { partner { id } clientId scopes } }",
                        partner(chain, "stores:read"))
    assert viewer["viewer"] == {"partner": {"id": chain}, "clientId": f"app-{chain}",
                                "scopes": ["stores:read"]}
    anonymous = await run(schema, db, "{ viewer { clientId } }", None)
    assert anonymous.errors[0].extensions["code"] == "UNAUTHENTICATED"
