"""registerSubgraph, removeSubgraph and partnerSubgraphs through the partners subgraph: the
caller's partner and database, the scope, ids of other partners and injection attempts."""

import dataclasses

from gateway.supergraph_versions import SupergraphVersions
from partners.subgraph.schema import schema
from partners.subgraphs import compose_graph
from schema.kernel.ids import new_id
from schema.kernel.sandbox import Databases
from tests.contract import section_mismatches, undescribed
from tests.partners.helpers import data, run
from tests.partners.subgraphs.partner_apps import SDLS, sdl_of
from tests.stores.helpers import partner

REGISTER = """mutation($input: RegisterSubgraphInput!) { registerSubgraph(input: $input) {
  subgraph { id name url status errors supergraphVersion updatedAt }
  userErrors { code field message } } }"""
REMOVE = """mutation($id: ID!) { removeSubgraph(subgraphId: $id) {
  subgraph { id status supergraphVersion } userErrors { code field message } } }"""
LIST = "{ partnerSubgraphs { id name status errors supergraphVersion } }"


async def test_register_list_and_remove_through_graphql(db, base):
    owner = partner(new_id("ptn"), "subgraphs:manage")
    url = f"{base}/rating/graphql"
    out = (await data(db, REGISTER, owner, input={"name": "acme", "url": url}))
    payload = out["registerSubgraph"]
    assert payload["userErrors"] == []
    subgraph = payload["subgraph"]
    assert (subgraph["name"], subgraph["url"], subgraph["status"], subgraph["errors"]) == \
        ("acme", url, "ACTIVE", [])
    assert subgraph["supergraphVersion"] == await SupergraphVersions(db).current_version()

    listed = await data(db, LIST, owner)
    assert listed["partnerSubgraphs"] == [{"id": subgraph["id"], "name": "acme",
                                           "status": "ACTIVE", "errors": [],
                                           "supergraphVersion": subgraph["supergraphVersion"]}]
    stranger = partner(new_id("ptn"), "subgraphs:manage")
    assert (await data(db, LIST, stranger))["partnerSubgraphs"] == []
    foreign = (await data(db, REMOVE, stranger, id=subgraph["id"]))["removeSubgraph"]
    assert foreign == {"subgraph": None, "userErrors": [
        {"code": "NOT_FOUND", "field": ["subgraphId"], "message": "no such subgraph"}]}
    injected = (await data(db, REMOVE, owner, id='{"$gt": ""}'))["removeSubgraph"]
    assert [e["code"] for e in injected["userErrors"]] == ["INVALID"]

    removed = (await data(db, REMOVE, owner, id=subgraph["id"]))["removeSubgraph"]
    assert removed["userErrors"] == [] and removed["subgraph"]["status"] == "REMOVED"
    assert removed["subgraph"]["supergraphVersion"] > subgraph["supergraphVersion"]


async def test_refusals_are_user_errors_with_the_stored_subgraph(db, base):
    SDLS["gql-shadow"] = sdl_of('type Store @key(fields: "id") { id: ID! name: String! }')
    owner = partner(new_id("ptn"), "subgraphs:manage")
    payload = (await data(db, REGISTER, owner, input={"name": "acme",
                                                      "url": f"{base}/sdl/gql-shadow"}))
    result = payload["registerSubgraph"]
    assert result["subgraph"]["status"] == "REJECTED"
    assert result["subgraph"]["supergraphVersion"] is None
    assert [e["code"] for e in result["userErrors"]] == ["INVALID"]
    assert result["userErrors"][0]["message"].startswith("SHADOWS_PLATFORM_FIELD: Store.name")
    assert result["subgraph"]["errors"] == [e["message"] for e in result["userErrors"]]


async def test_the_scope_and_a_partner_token_are_required(db, base):
    reader = partner(new_id("ptn"), "stores:read")
    denied = await run(db, REGISTER, reader, input={"name": "acme",
                                                    "url": f"{base}/rating/graphql"})
    assert denied.errors[0].extensions["code"] == "FORBIDDEN"
    anonymous = await run(db, LIST, None)
    assert anonymous.errors[0].extensions["code"] == "UNAUTHENTICATED"
    no_partner = dataclasses.replace(partner(new_id("ptn"), "subgraphs:manage"),
                                     partner_id=None)
    refused = await run(db, LIST, no_partner)
    assert refused.errors[0].extensions["code"] == "FORBIDDEN"
    assert await SupergraphVersions(db).current() is None


async def test_a_sandbox_registration_lives_in_the_sandbox_only(db, base):
    owner_id = new_id("ptn")
    sandboxed = dataclasses.replace(partner(owner_id, "subgraphs:manage"), sandbox=True)
    payload = (await data(db, REGISTER, sandboxed, input={
        "name": "acme", "url": f"{base}/rating/graphql"}))["registerSubgraph"]
    assert payload["userErrors"] == [] and payload["subgraph"]["status"] == "ACTIVE"
    sandbox = Databases.beside(db).sandbox
    assert "partnerRating" in (await SupergraphVersions(sandbox).current()).sdl
    assert [r.name for r in (await compose_graph(sandbox)).partners] == ["acme"]

    assert (await compose_graph(db)).partners == ()
    assert "partnerRating" not in (await compose_graph(db)).supergraph_sdl
    assert await SupergraphVersions(db).current() is None
    live_owner = partner(owner_id, "subgraphs:manage")
    assert (await data(db, LIST, live_owner))["partnerSubgraphs"] == []
    assert [s["name"] for s in (await data(db, LIST, sandboxed))["partnerSubgraphs"]] == ["acme"]
    removed = (await data(db, REMOVE, live_owner, id=payload["subgraph"]["id"]))["removeSubgraph"]
    assert removed["userErrors"][0]["code"] == "NOT_FOUND"


def test_the_sdl_matches_the_contract() -> None:
    types = ("PartnerSubgraph", "RegisterSubgraphInput", "PartnerSubgraphPayload")
    ours = schema._schema
    assert section_mismatches(ours, types, ("SubgraphStatus",),
                              ("partnerSubgraphs", "registerSubgraph", "removeSubgraph")) == []
    assert undescribed(ours, (*types, "SubgraphStatus")) == []
