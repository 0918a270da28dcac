"""Every mutation of the graph, run with a sandbox token, changes the sandbox and leaves every
live collection as it was; so does loading the sandbox demo data. Nothing in this module
writes live data after minting its tokens, so the live snapshots are stable.

The mutations come from the composed platform supergraph, so a mutation added later is run
here too; one without a case in :data:`CASES` fails this test until it gets one.
"""

import random
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from auth.collections import CLIENTS
from gateway.federation import Supergraph
from gateway.platform import compose_platform
from partners.subgraphs.register import register_subgraph
from partners.urls import ALLOW_NETWORKS_ENV, NetworkPolicy
from partners.webhooks.deliveries import DEAD, DELIVERIES, new_delivery
from partners.webhooks.endpoints import create_endpoint, update_endpoint
from schema.catalog.products import product_id_for
from schema.catalog.seed import SANDBOX_PRODUCT_COUNT, demo_sku
from schema.kernel.events import make_event
from schema.kernel.time import utcnow
from schema.marketing.seed import sandbox_deal_id, sandbox_voucher_code, sandbox_voucher_id
from schema.membership.seed import sandbox_earning_id, sandbox_member_id, sandbox_phone
from schema.orders.seed import sandbox_order_id
from schema.payments.seed import sandbox_paid_id, sandbox_pending_id
from schema.stores.seed import (
    SANDBOX_STORE_COUNT,
    sandbox_store_code,
    sandbox_store_id,
)
from tests.gateway.servers import serving
from tests.partners.subgraphs.partner_apps import APP as PARTNER_SUBGRAPHS
from tests.partners.subgraphs.partner_apps import SDLS, sdl_of
from tests.sandbox.conftest import GraphQL, Platform, snapshot

Payload = dict[str, Any]
Variables = dict[str, Any]
Prepare = Callable[[Platform, str, str], Awaitable[Variables]]


@dataclass(frozen=True)
class Case:
    """A mutation that succeeds for a sandbox partner with the sandbox demo data.

    ``prepare`` (platform, partner id, the test partner-subgraph server's URL) makes sandbox
    data the mutation needs before the snapshots and gives the variables instead of
    ``variables``. A ``registry`` mutation changes the live registry of OAuth apps (it has no
    sandbox twin): only sandbox apps, and nothing else live."""

    query: str
    variables: Callable[[str], Variables]   # from the partner id
    succeeded: Callable[[Payload], bool]
    prepare: Prepare | None = None
    registry: bool = False


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _store_input(code: str) -> dict[str, Any]:
    return {"code": code, "name": f"Sandbox {code}",
            "address": {"line1": "1 Nanjing Rd", "city": "Shanghai", "country": "CN"},
            "location": {"lat": 31.2310, "lng": 121.4740},
            "openingHours": [{"dayOfWeek": d, "opens": "08:00", "closes": "22:00"}
                             for d in range(1, 8)],
            "services": ["PICKUP"], "deliveryRadiusMeters": 3000}


def _stocked_product(partner: str) -> str:
    """A product the first sandbox store has 4 or more of (after the 3 units the sandbox
    orders hold): the catalogue seed draws its stock levels from ``Random(partner)``, store
    by store, product by product, and store 1 comes first."""
    rng = random.Random(partner)
    levels = [rng.randint(0, 60) for _ in range(SANDBOX_PRODUCT_COUNT)]
    return product_id_for(partner, demo_sku(next(n for n, level in enumerate(levels)
                                                 if level >= 4)))


CASES: dict[str, Case] = {
    "upsertStore": Case(
        """mutation($input: UpsertStoreInput!) { upsertStore(input: $input) {
             store { id } userErrors { code message } } }""",
        lambda _partner: {"input": _store_input("SBX-NEW")},
        lambda p: p["store"] is not None),
    "setStoreStatus": Case(
        """mutation($input: SetStoreStatusInput!) { setStoreStatus(input: $input) {
             store { status } userErrors { code message } } }""",
        lambda partner: {"input": {"storeId": sandbox_store_id(partner, 0),
                                   "status": "TEMPORARILY_CLOSED"}},
        lambda p: p["store"] == {"status": "TEMPORARILY_CLOSED"}),
    "upsertProducts": Case(
        """mutation($input: UpsertProductsInput!) { upsertProducts(input: $input) {
             products { sku } userErrors { code message } } }""",
        lambda _partner: {"input": {"idempotencyKey": "sbx-products-1", "items": [
            {"sku": "SBX-NEW-1", "name": "Sandbox tea", "price": {"amount": 500}}]}},
        lambda p: p["products"] == [{"sku": "SBX-NEW-1"}]),
    "syncInventory": Case(
        """mutation($input: SyncInventoryInput!) { syncInventory(input: $input) {
             applied userErrors { code message } } }""",
        lambda _partner: {"input": {"storeCode": sandbox_store_code(0),
                                    "idempotencyKey": "sbx-stock-1", "items": [
                                        {"sku": demo_sku(0), "onHand": 99,
                                         "occurredAt": _now()}]}},
        lambda p: p["applied"] == 1),
    "syncPrices": Case(
        """mutation($input: SyncPricesInput!) { syncPrices(input: $input) {
             applied userErrors { code message } } }""",
        lambda _partner: {"input": {"idempotencyKey": "sbx-prices-1", "items": [
            {"sku": demo_sku(0), "price": {"amount": 1234, "currency": "CNY"},
             "occurredAt": _now()}]}},
        lambda p: p["applied"] == 1),
    "registerMember": Case(
        """mutation($input: RegisterMemberInput!) { registerMember(input: $input) {
             member { id } userErrors { code message } } }""",
        lambda partner: {"input": {"phone": sandbox_phone(partner, "case"),
                                   "displayName": "Sandbox Newcomer"}},
        lambda p: p["member"] is not None),
    "setEarnRule": Case(
        """mutation($input: SetEarnRuleInput!) { setEarnRule(input: $input) {
             earnRule { pointsPerCurrencyUnit } userErrors { code message } } }""",
        lambda _partner: {"input": {"pointsPerCurrencyUnit": 3, "pointValue": {"amount": 2}}},
        lambda p: p["earnRule"] == {"pointsPerCurrencyUnit": 3}),
    "earnPoints": Case(
        """mutation($input: EarnPointsInput!) { earnPoints(input: $input) {
             entry { points } userErrors { code message } } }""",
        lambda partner: {"input": {"memberId": sandbox_member_id(partner),
                                   "spend": {"amount": 1000}, "idempotencyKey": "sbx-earn-1"}},
        lambda p: p["entry"] == {"points": 10}),
    "redeemPoints": Case(
        """mutation($input: RedeemPointsInput!) { redeemPoints(input: $input) {
             entry { points } userErrors { code message } } }""",
        lambda partner: {"input": {"memberId": sandbox_member_id(partner), "points": 100,
                                   "idempotencyKey": "sbx-redeem-1"}},
        lambda p: p["entry"] == {"points": -100}),
    "reversePoints": Case(
        """mutation($input: ReversePointsInput!) { reversePoints(input: $input) {
             entry { type } userErrors { code message } } }""",
        lambda partner: {"input": {"entryId": sandbox_earning_id(partner),
                                   "idempotencyKey": "sbx-reverse-1"}},
        lambda p: p["entry"] == {"type": "REVERSE"}),
    "createPayment": Case(
        """mutation($input: CreatePaymentInput!) { createPayment(input: $input) {
             payment { status } userErrors { code message } } }""",
        lambda _partner: {"input": {"purpose": "ORDER", "amount": {"amount": 500},
                                    "portions": [{"method": "EXTERNAL",
                                                  "amount": {"amount": 500}}],
                                    "idempotencyKey": "sbx-pay-1"}},
        lambda p: p["payment"] == {"status": "REQUIRES_PAYMENT"}),
    "topUpStoredValue": Case(
        """mutation($input: TopUpInput!) { topUpStoredValue(input: $input) {
             payment { purpose status } userErrors { code message } } }""",
        lambda partner: {"input": {"memberId": sandbox_member_id(partner),
                                   "amount": {"amount": 1000}, "idempotencyKey": "sbx-top-1"}},
        lambda p: p["payment"] == {"purpose": "TOP_UP", "status": "REQUIRES_PAYMENT"}),
    "cancelPayment": Case(
        """mutation($input: CancelPaymentInput!) { cancelPayment(input: $input) {
             payment { status } userErrors { code message } } }""",
        lambda partner: {"input": {"paymentId": sandbox_pending_id(partner),
                                   "idempotencyKey": "sbx-cancel-1"}},
        lambda p: p["payment"] == {"status": "CANCELED"}),
    "refundPayment": Case(
        """mutation($input: RefundPaymentInput!) { refundPayment(input: $input) {
             refund { status } userErrors { code message } } }""",
        lambda partner: {"input": {"paymentId": sandbox_paid_id(partner),
                                   "amount": {"amount": 100}, "idempotencyKey": "sbx-ref-1"}},
        lambda p: p["refund"] == {"status": "SUCCEEDED"}),
    "createCampaign": Case(
        """mutation($input: CreateCampaignInput!) { createCampaign(input: $input) {
             campaign { name } userErrors { code message } } }""",
        lambda _partner: {"input": {"name": "Sandbox spring", "startsAt": _now(),
                                    "endsAt": "2099-01-01T00:00:00Z"}},
        lambda p: p["campaign"] == {"name": "Sandbox spring"}),
    "createDeal": Case(
        """mutation($input: CreateDealInput!) { createDeal(input: $input) {
             deal { title } userErrors { code message } } }""",
        lambda _partner: {"input": {"title": "Sandbox tea", "price": {"amount": 500},
                                    "faceValue": {"amount": 800}, "validFrom": _now(),
                                    "validUntil": "2099-01-01T00:00:00Z"}},
        lambda p: p["deal"] == {"title": "Sandbox tea"}),
    "purchaseDeal": Case(
        """mutation($input: PurchaseDealInput!) { purchaseDeal(input: $input) {
             payment { id } vouchers { id } userErrors { code message } } }""",
        lambda partner: {"input": {"dealId": sandbox_deal_id(partner),
                                   "memberId": sandbox_member_id(partner), "channel": "APP",
                                   "portions": [{"method": "EXTERNAL",
                                                 "amount": {"amount": 1000}}],
                                   "idempotencyKey": "sbx-deal-1"}},
        lambda p: p["payment"] is not None and p["vouchers"] == []),
    "redeemVoucher": Case(
        """mutation($input: RedeemVoucherInput!) { redeemVoucher(input: $input) {
             voucher { status } userErrors { code message } } }""",
        lambda partner: {"input": {"code": sandbox_voucher_code(partner),
                                   "storeId": sandbox_store_id(partner, 0),
                                   "idempotencyKey": "sbx-redeem-voucher-1"}},
        lambda p: p["voucher"] == {"status": "REDEEMED"}),
    "refundVoucher": Case(
        """mutation($input: RefundVoucherInput!) { refundVoucher(input: $input) {
             voucher { status } userErrors { code message } } }""",
        lambda partner: {"input": {"voucherId": sandbox_voucher_id(partner, 1),
                                   "idempotencyKey": "sbx-refund-voucher-1"}},
        lambda p: p["voucher"] == {"status": "REFUNDED"}),
    "placeOrder": Case(
        """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
             order { status } userErrors { code message } } }""",
        lambda partner: {"input": {
            "merchantId": partner, "channel": "POS", "externalId": "till-1",
            "lines": [{"productId": _stocked_product(partner), "quantity": 1}],
            "fulfillment": {"type": "PICKUP", "storeId": sandbox_store_id(partner, 0)},
            "idempotencyKey": "sbx-order-1"}},
        lambda p: p["order"] == {"status": "CREATED"}),
    "transitionOrder": Case(
        """mutation($input: TransitionOrderInput!) { transitionOrder(input: $input) {
             order { status } userErrors { code message } } }""",
        lambda partner: {"input": {"orderId": sandbox_order_id(partner, 1), "to": "ACCEPTED",
                                   "idempotencyKey": "sbx-accept-1"}},
        lambda p: p["order"] == {"status": "ACCEPTED"}),
    "cancelOrder": Case(
        """mutation($input: CancelOrderInput!) { cancelOrder(input: $input) {
             order { status } userErrors { code message } } }""",
        lambda partner: {"input": {"orderId": sandbox_order_id(partner, 0),
                                   "idempotencyKey": "sbx-cancel-order-1"}},
        lambda p: p["order"] == {"status": "CANCELED"}),
    "assignCourier": Case(
        """mutation($input: AssignCourierInput!) { assignCourier(input: $input) {
             order { fulfillment { courierId } } userErrors { code message } } }""",
        lambda partner: {"input": {"orderId": sandbox_order_id(partner, 2),
                                   "courierId": "rider-1"}},
        lambda p: p["order"] == {"fulfillment": {"courierId": "rider-1"}}),
}


HOOK_URL = "https://8.8.8.8/hook"
"""A public literal address (no DNS): the sandbox webhook cases never send to it (the topic
has no events, and the replayed delivery's endpoint is disabled: it goes DEAD unsent)."""


async def _sandbox_endpoint(platform: Platform, partner: str) -> str:
    endpoint, _ = await create_endpoint(platform.sandbox, partner, HOOK_URL,
                                        ["partner.endpoint_disabled"], NetworkPolicy())
    return endpoint["_id"]


def _with_endpoint(variables: Callable[[str], Variables]) -> Prepare:
    async def prepare(platform: Platform, partner: str, _server: str) -> Variables:
        return variables(await _sandbox_endpoint(platform, partner))
    return prepare


async def _sandbox_dead_delivery(platform: Platform, partner: str, _server: str) -> Variables:
    endpoint_id = await _sandbox_endpoint(platform, partner)
    endpoint = await update_endpoint(platform.sandbox, partner, endpoint_id, enabled=False)
    event = make_event("partner.endpoint_disabled", partner, "WebhookEndpoint", endpoint_id,
                       1, {"endpointId": endpoint_id})
    delivery = {**new_delivery(event, endpoint, utcnow()), "status": DEAD,
                "nextAttemptAt": None}
    await platform.sandbox[DELIVERIES].insert_one(delivery)
    return {"input": {"endpointId": endpoint_id, "deliveryId": delivery["_id"]}}


def _with_sandbox_app(variables: Callable[[str], Variables]) -> Prepare:
    async def prepare(platform: Platform, partner: str, _server: str) -> Variables:
        issued = await platform.auth.service.clients.create(
            partner_id=partner, name="Sandbox till", scopes="stores:read", sandbox=True)
        return variables(issued.client.client_id)
    return prepare


def _scripted_subgraph(server: str, partner: str) -> tuple[str, str]:
    """A partner subgraph SDL served by the test server, adding a field of this partner's
    own to Store (so subgraphs of the module's partners never collide); (name, url)."""
    key = partner[-8:].lower()
    SDLS[key] = sdl_of(f'type Store @key(fields: "id") {{ id: ID! sbx{key}: Int }}')
    return f"sbx_{key}", f"{server}/sdl/{key}"


async def _register(platform: Platform, partner: str, server: str) -> Variables:
    name, url = _scripted_subgraph(server, partner)
    return {"input": {"name": name, "url": url}}


async def _registered(platform: Platform, partner: str, server: str) -> Variables:
    name, url = _scripted_subgraph(server, partner)
    outcome = await register_subgraph(platform.sandbox, partner, name, url)
    assert outcome.subgraph is not None and not outcome.errors, outcome
    return {"id": outcome.subgraph.id}


_ENDPOINT_PAYLOAD = "endpoint { id } secret userErrors { code message }"
_APP_PAYLOAD = "app { sandbox revoked } clientSecret userErrors { code message }"
_SUBGRAPH_PAYLOAD = "subgraph { status } userErrors { code message }"

CASES.update({
    "createWebhookEndpoint": Case(
        f"""mutation($input: CreateWebhookEndpointInput!) {{
             createWebhookEndpoint(input: $input) {{ {_ENDPOINT_PAYLOAD} }} }}""",
        lambda _partner: {"input": {"url": HOOK_URL, "topics": ["partner.endpoint_disabled"]}},
        lambda p: p["endpoint"] is not None and p["secret"].startswith("whsec_")),
    "updateWebhookEndpoint": Case(
        f"""mutation($input: UpdateWebhookEndpointInput!) {{
             updateWebhookEndpoint(input: $input) {{ {_ENDPOINT_PAYLOAD} }} }}""",
        dict, lambda p: p["endpoint"] is not None,
        _with_endpoint(lambda i: {"input": {"endpointId": i, "enabled": False}})),
    "deleteWebhookEndpoint": Case(
        f"""mutation($id: ID!) {{ deleteWebhookEndpoint(endpointId: $id) {{
             {_ENDPOINT_PAYLOAD} }} }}""",
        dict, lambda p: p["endpoint"] is not None, _with_endpoint(lambda i: {"id": i})),
    "rotateWebhookSecret": Case(
        f"""mutation($id: ID!) {{ rotateWebhookSecret(endpointId: $id) {{
             {_ENDPOINT_PAYLOAD} }} }}""",
        dict, lambda p: p["secret"].startswith("whsec_"), _with_endpoint(lambda i: {"id": i})),
    "replayWebhookDeliveries": Case(
        """mutation($input: ReplayDeliveriesInput!) { replayWebhookDeliveries(input: $input) {
             replayed userErrors { code message } } }""",
        dict, lambda p: p["replayed"] == 1, _sandbox_dead_delivery),
    "createApp": Case(
        f"""mutation($input: CreateAppInput!) {{
             createApp(input: $input) {{ {_APP_PAYLOAD} }} }}""",
        lambda _partner: {"input": {"name": "Sandbox kiosk", "scopes": ["stores:read"],
                                    "sandbox": True}},
        lambda p: p["app"] == {"sandbox": True, "revoked": False} and bool(p["clientSecret"]),
        registry=True),
    "rotateAppSecret": Case(
        f"""mutation($id: ID!) {{ rotateAppSecret(appId: $id) {{ {_APP_PAYLOAD} }} }}""",
        dict, lambda p: p["app"]["sandbox"] is True and bool(p["clientSecret"]),
        _with_sandbox_app(lambda i: {"id": i}), registry=True),
    "revokeApp": Case(
        f"""mutation($id: ID!) {{ revokeApp(appId: $id) {{ {_APP_PAYLOAD} }} }}""",
        dict, lambda p: p["app"] == {"sandbox": True, "revoked": True},
        _with_sandbox_app(lambda i: {"id": i}), registry=True),
    "registerSubgraph": Case(
        f"""mutation($input: RegisterSubgraphInput!) {{ registerSubgraph(input: $input) {{
             {_SUBGRAPH_PAYLOAD} }} }}""",
        dict, lambda p: p["subgraph"] == {"status": "ACTIVE"}, _register),
    "removeSubgraph": Case(
        f"""mutation($id: ID!) {{ removeSubgraph(subgraphId: $id) {{ {_SUBGRAPH_PAYLOAD} }} }}""",
        dict, lambda p: p["subgraph"] == {"status": "REMOVED"}, _registered),
})


@pytest.fixture(scope="module")
def partner_subgraph_server() -> Iterator[str]:
    """Partner subgraphs served on 127.0.0.1, for the subgraph registration cases."""
    with serving(PARTNER_SUBGRAPHS) as base:
        yield base


def _without_clients(snap: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    return {name: [d for d in docs if not (name == "claims"
                                           and str(d["_id"]).startswith(f"{CLIENTS}:"))]
            for name, docs in snap.items() if name != CLIENTS}


def _registry_changes_are_sandbox_apps(before: dict[str, list[dict[str, Any]]],
                                       after: dict[str, list[dict[str, Any]]]) -> None:
    """Outside the OAuth apps the live database is as it was; the apps added or changed
    are sandbox apps."""
    assert _without_clients(after) == _without_clients(before)
    changed = [doc for doc in after.get(CLIENTS, []) if doc not in before.get(CLIENTS, [])]
    assert changed
    assert all(doc["sandbox"] is True for doc in changed), changed


def graph_mutations() -> list[str]:
    """The root Mutation fields of the composed platform graph."""
    mutation = Supergraph.parse(compose_platform()).api_schema.mutation_type
    return sorted(mutation.fields) if mutation else []


def test_the_graph_has_mutations_and_each_has_a_sandbox_case() -> None:
    missing = sorted(set(graph_mutations()) - set(CASES))
    assert graph_mutations(), "the platform graph has no Mutation type any more"
    assert not missing, f"add a sandbox case to CASES for: {', '.join(missing)}"


@pytest.mark.parametrize("mutation", graph_mutations())
async def test_a_sandbox_mutation_changes_the_sandbox_and_no_live_document(
        platform: Platform, graphql: GraphQL, mutation: str, partner_subgraph_server: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOW_NETWORKS_ENV, "127.0.0.0/8")
    case = CASES.get(mutation)
    assert case is not None, f"no sandbox case for the mutation {mutation}: add one to CASES"
    partner = await platform.partner()
    token = await platform.token(partner, sandbox=True)
    first = await graphql("{ viewer { sandbox } }", token=token)   # loads the sandbox demo
    assert first["data"] == {"viewer": {"sandbox": True}}
    variables = (await case.prepare(platform, partner, partner_subgraph_server)
                 if case.prepare is not None else case.variables(partner))
    live_before = await snapshot(platform.live)
    sandbox_before = await snapshot(platform.sandbox)

    answer = await graphql(case.query, variables, token=token)

    assert "errors" not in answer, answer
    payload = answer["data"][mutation]
    assert payload["userErrors"] == [], payload
    assert case.succeeded(payload), payload
    if case.registry:
        _registry_changes_are_sandbox_apps(live_before, await snapshot(platform.live))
        return
    assert await snapshot(platform.sandbox) != sandbox_before
    assert await snapshot(platform.live) == live_before


async def test_loading_the_sandbox_demo_data_leaves_the_live_database_alone(
        platform: Platform, graphql: GraphQL) -> None:
    partner = await platform.partner()
    token = await platform.token(partner, sandbox=True)
    live_before = await snapshot(platform.live)

    answer = await graphql("""query($merchant: ID!) { stores(filter: {merchantId: $merchant})
                               { totalCount } }""", {"merchant": partner}, token=token)

    assert answer["data"] == {"stores": {"totalCount": SANDBOX_STORE_COUNT}}
    assert await snapshot(platform.live) == live_before
