"""Registering partner subgraphs served over HTTP on 127.0.0.1: composed, stored and
published when valid; refused with the reason, and nothing else changed, when not."""

import pytest

from gateway.embedded.server import free_port
from gateway.supergraph_versions import SupergraphVersions
from partners.subgraphs import GraphDoesNotCompose, Status, compose_graph, publish_graph
from partners.subgraphs import fetch as fetch_module
from partners.subgraphs.records import SUBGRAPHS, get_subgraph, partner_subgraphs
from partners.subgraphs.register import register_subgraph, remove_subgraph
from partners.urls import ALLOW_NETWORKS_ENV
from schema.kernel.ids import new_id
from tests.partners.subgraphs.partner_apps import SDLS, sdl_of

RATING_V1 = sdl_of('type Store @key(fields: "id") { id: ID! partnerRating: Float }',
                   "type Query { acmeRatingScale: Int! }")
RATING_V2 = sdl_of('type Store @key(fields: "id") { id: ID! partnerRating: Float '
                   "partnerReviews: Int }", "type Query { acmeRatingScale: Int! }")
RATING_BROKEN = sdl_of('type Store @key(fields: "id") { id: ID! partnerRating: String '
                       "partnerReviews: Int }",
                       "type Query { acmeRatingScale: Int! }")


def codes(outcome) -> list[str]:
    return [e.message.split(":", 1)[0].split(" ", 1)[0] for e in outcome.errors]


async def current_sdl(db) -> str:
    current = await SupergraphVersions(db).current()
    assert current is not None
    return current.sdl


async def test_valid_strawberry_subgraph_registers_active_and_is_published(db, base):
    partner = new_id("ptn")
    outcome = await register_subgraph(db, partner, "acme", f"{base}/rating/graphql")
    assert outcome.errors == ()
    record = outcome.subgraph
    assert record.status is Status.ACTIVE and record.errors == ()
    current = await SupergraphVersions(db).current()
    assert record.supergraph_version == current.version
    assert "partnerRating: Float @join__field(graph: ACME) @authenticated" in current.sdl
    assert f'ACME @join__graph(name: "acme", url: "{base}/rating/graphql")' in current.sdl
    assert await get_subgraph(db, record.id) == record
    graph = await compose_graph(db)
    assert graph.supergraph_sdl == current.sdl and [r.name for r in graph.partners] == ["acme"]
    assert (await publish_graph(db)).version == current.version   # unchanged: no new version


async def test_re_registration_updates_and_a_breaking_one_is_refused(db, base):
    partner = new_id("ptn")
    SDLS["v1"], SDLS["v2"], SDLS["broken"] = RATING_V1, RATING_V2, RATING_BROKEN
    first = await register_subgraph(db, partner, "acme", f"{base}/sdl/v1")
    assert first.errors == ()
    added = await register_subgraph(db, partner, "acme", f"{base}/sdl/v2")
    assert added.errors == () and added.subgraph.id == first.subgraph.id
    assert added.subgraph.supergraph_version > first.subgraph.supergraph_version
    served = await current_sdl(db)
    assert "partnerReviews" in served

    refused = await register_subgraph(db, partner, "acme", f"{base}/sdl/broken")
    assert codes(refused) == ["BREAKING_CHANGE"]
    assert 'Field "Store.partnerRating" changed type from "Float" to "String"' in \
        refused.errors[0].message
    kept = await get_subgraph(db, first.subgraph.id)
    assert kept.status is Status.ACTIVE and kept.url == f"{base}/sdl/v2" and kept.sdl == RATING_V2
    assert kept.errors == tuple(e.message for e in refused.errors)
    assert await current_sdl(db) == served

    dropped = await register_subgraph(db, partner, "acme", f"{base}/sdl/v1")
    assert "BREAKING_CHANGE FIELD_REMOVED" in dropped.errors[0].message
    assert "Store.partnerReviews" in dropped.errors[0].message


@pytest.mark.parametrize(("definitions", "code", "named"), [
    (['type Store @key(fields: "id") { id: ID! name: String! rating: Float }'],
     "SHADOWS_PLATFORM_FIELD", "Store.name"),
    (['type Store @key(fields: "id") { id: ID! code: String! @override(from: "stores") }'],
     "OVERRIDE_NOT_ALLOWED", "Store.code"),
    (["type Query { stores: [String!]! acmeThing: Int }"], "SHADOWS_PLATFORM_FIELD",
     "Query.stores"),
    (["enum StoreStatus { OPEN CLOSED ARCHIVED HIJACKED }", "type Query { acmeX: StoreStatus }"],
     "PLATFORM_TYPE", "StoreStatus"),
    (["type Query { _acme: Int }"], "RESERVED_NAME", "Query._acme"),
    (['type Member @key(fields: "id") { id: ID! pointsBalance: Int! @external '
      'tier: String @requires(fields: "pointsBalance") }', "type Query { acmeT: Int }"],
     "GUARDED_PLATFORM_FIELD", "Member.pointsBalance"),
    (["type _Secret { x: Int }", "type Query { acmeS: _Secret }"], "RESERVED_NAME", "_Secret"),
    (["type Query { acmeX: Int }", "type join__Graph { x: Int }"], "RESERVED_NAME",
     "join__Graph"),
])
async def test_platform_fields_and_types_cannot_be_taken_over(db, base, definitions, code, named):
    SDLS[code + named] = sdl_of(*definitions)
    before = await publish_graph(db)
    outcome = await register_subgraph(db, new_id("ptn"), "acme", f"{base}/sdl/{code + named}")
    assert code in codes(outcome), outcome.errors
    assert any(named in e.message for e in outcome.errors)
    assert outcome.subgraph.status is Status.REJECTED
    assert list(outcome.subgraph.errors) == [e.message for e in outcome.errors]
    assert (await SupergraphVersions(db).current()).version == before.version
    assert (await compose_graph(db)).partners == ()


async def test_external_and_key_fields_of_a_platform_entity_are_allowed(db, base):
    SDLS["requires"] = sdl_of(
        'type Store @key(fields: "id") { id: ID! name: String! @external '
        'greeting: String @requires(fields: "name") }', "type Query { acmeHello: String }")
    outcome = await register_subgraph(db, new_id("ptn"), "greeter", f"{base}/sdl/requires")
    assert outcome.errors == () and outcome.subgraph.status is Status.ACTIVE


async def test_composition_errors_come_back_with_their_code(db, base):
    SDLS["mismatch"] = sdl_of('type Store @key(fields: "id") { id: String! extra: Int }',
                              "type Query { acmeZ: Int }")
    outcome = await register_subgraph(db, new_id("ptn"), "acme", f"{base}/sdl/mismatch")
    assert "FIELD_TYPE_MISMATCH" in codes(outcome)
    assert outcome.subgraph.status is Status.REJECTED
    assert await SupergraphVersions(db).current() is None


async def test_a_federation_1_subgraph_is_rejected(db, base):
    SDLS["fed1"] = ('extend type Store @key(fields: "id") { id: ID! @external rating: Float }\n'
                    "type Query { acmeX: Int }")
    outcome = await register_subgraph(db, new_id("ptn"), "acme", f"{base}/sdl/fed1")
    assert codes(outcome) == ["FEDERATION_2_REQUIRED"]
    assert "must be a Federation 2 subgraph" in outcome.errors[0].message
    assert outcome.subgraph.status is Status.REJECTED


async def test_sdl_that_does_not_parse_is_rejected(db, base):
    SDLS["unparsable"] = "type Query { acme: "
    outcome = await register_subgraph(db, new_id("ptn"), "acme", f"{base}/sdl/unparsable")
    assert codes(outcome) == ["INVALID_GRAPHQL"]
    assert "does not parse" in outcome.errors[0].message
    assert outcome.subgraph.status is Status.REJECTED


@pytest.mark.parametrize(("path", "reason"), [
    ("/garbage", "not JSON"), ("/error", "HTTP 500"), ("/slow", "within 0.5 s"),
    ("/sdl/missing", "HTTP 404"), ("/nothing-here", "HTTP 404"),
])
async def test_a_subgraph_that_fails_to_answer_is_refused_and_nothing_stored(
        db, base, monkeypatch, path, reason):
    monkeypatch.setattr(fetch_module, "FETCH_TIMEOUT_S", 0.5)
    partner = new_id("ptn")
    outcome = await register_subgraph(db, partner, "acme", f"{base}{path}")
    assert outcome.subgraph is None
    assert [(e.code, e.field) for e in outcome.errors] == [("INVALID", ("input", "url"))]
    assert reason in outcome.errors[0].message
    assert await partner_subgraphs(db, partner) == []


async def test_unreachable_port_is_refused(db, base):
    port = free_port()   # nothing listens there
    outcome = await register_subgraph(db, new_id("ptn"), "acme", f"http://127.0.0.1:{port}/")
    assert "could not reach" in outcome.errors[0].message


@pytest.mark.parametrize(("url", "reason"), [
    ("{base}/rating/graphql", "non-public"),
    ("http://localhost:{port}/rating/graphql", "non-public"),
    ("http://169.254.169.254/latest/meta-data/", "non-public"),
    ("http://10.1.2.3/graphql", "non-public"),
    ("http://93.184.216.34/graphql", "https://"),
    ("ftp://example.com/graphql", "must start with"),
])
async def test_private_metadata_and_plain_http_urls_are_refused_without_the_allow_list(
        db, partner_server, monkeypatch, url, reason):
    monkeypatch.delenv(ALLOW_NETWORKS_ENV, raising=False)
    partner = new_id("ptn")
    port = partner_server.rsplit(":", 1)[1]
    outcome = await register_subgraph(db, partner, "acme", url.format(
        base=partner_server, port=port))
    assert outcome.subgraph is None and reason in outcome.errors[0].message
    assert outcome.errors[0].field == ("input", "url")
    assert await partner_subgraphs(db, partner) == []


@pytest.mark.parametrize("name", ["stores", "Acme", "a", "_acme", "acme-x", "9acme", "x" * 41,
                                  "acme name"])
async def test_bad_or_platform_names_are_refused(db, base, name):
    outcome = await register_subgraph(db, new_id("ptn"), name, f"{base}/rating/graphql")
    assert outcome.subgraph is None and outcome.errors[0].field == ("input", "name")


async def test_a_name_belongs_to_one_partner_until_removed(db, base):
    owner, other = new_id("ptn"), new_id("ptn")
    url = f"{base}/rating/graphql"
    first = await register_subgraph(db, owner, "acme", url)
    taken = await register_subgraph(db, other, "acme", url)
    assert [(e.code, e.field) for e in taken.errors] == [("CONFLICT", ("input", "name"))]
    assert (await remove_subgraph(db, other, first.subgraph.id)).errors[0].code == "NOT_FOUND"
    removed = await remove_subgraph(db, owner, first.subgraph.id)
    assert removed.errors == () and removed.subgraph.status is Status.REMOVED
    again = await register_subgraph(db, other, "acme", url)
    assert again.errors == () and again.subgraph.id != first.subgraph.id


async def test_remove_publishes_a_version_without_it(db, base):
    partner = new_id("ptn")
    registered = await register_subgraph(db, partner, "acme", f"{base}/rating/graphql")
    with_it = await current_sdl(db)
    removed = await remove_subgraph(db, partner, registered.subgraph.id)
    assert removed.subgraph.status is Status.REMOVED
    current = await SupergraphVersions(db).current()
    assert removed.subgraph.supergraph_version == current.version
    assert "partnerRating" in with_it and "partnerRating" not in current.sdl
    assert "ACME" not in current.sdl
    assert (await compose_graph(db)).partners == ()
    assert (await remove_subgraph(db, partner, registered.subgraph.id)).errors == ()
    bogus = await remove_subgraph(db, partner, '{"$gt": ""}')
    assert [(e.code, e.field) for e in bogus.errors] == [("INVALID", ("subgraphId",))]


async def test_stored_subgraphs_that_no_longer_compose_give_errors_not_a_graph(db, base):
    """A platform build can change under a registered subgraph: the graph then reports the
    composition errors and publish_graph publishes nothing (the gateway serves the platform)."""
    partner = new_id("ptn")
    registered = await register_subgraph(db, partner, "acme", f"{base}/rating/graphql")
    before = await SupergraphVersions(db).current_version()
    await db[SUBGRAPHS].update_one({"_id": registered.subgraph.id}, {"$set": {
        "sdl": sdl_of('type Store @key(fields: "id") { id: String! partnerRating: Float }')}})
    graph = await compose_graph(db)
    assert graph.supergraph_sdl is None and graph.errors
    assert [r.name for r in graph.partners] == ["acme"]
    with pytest.raises(GraphDoesNotCompose, match="FIELD_TYPE_MISMATCH"):
        await publish_graph(db)
    assert await SupergraphVersions(db).current_version() == before
