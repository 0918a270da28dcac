"""The order journey through the gateway (issue 14): a chain's app places a delivery order
for a member, pays it through the sandbox provider (the payment's outcome moves it to PAID),
the store's staff app accepts and prepares it, the chain gives it to a courier, the courier's
app sees its route and delivers it, and the member's points rise by the earn rule; another
merchant does not see the order."""

import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from schema.kernel.ids import new_id
from schema.payments.providers import LIVE_ENV
from tests.auth.fixtures import MintedToken
from tests.e2e.conftest import Platform, platform  # noqa: F401  (the fixture)
from tests.e2e.test_o2o_journey import Journey
from tests.orders.helpers import ALWAYS

CHAIN = ("stores:read stores:write catalog:write inventory:write orders:read orders:write "
         "members:read members:write points:read points:write payments:write payments:read")
STAFF = "orders:read orders:write"
COURIER = "orders:read orders:write"
ERRORS = "userErrors { code field message }"
PLACE = ("mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id status "
         "total { amount } fulfillment { stores { id } } } " + ERRORS + " } }")
MOVE = ("mutation($input: TransitionOrderInput!) { transitionOrder(input: $input) { order { "
        "status } " + ERRORS + " } }")
POINTS = "query($id: ID!) { member(id: $id) { pointsBalance } }"


@pytest.fixture
async def journey(platform: Platform, monkeypatch: pytest.MonkeyPatch  # noqa: F811
                  ) -> AsyncIterator[Journey]:
    monkeypatch.setenv(LIVE_ENV, "1")
    async with httpx.AsyncClient(base_url=platform.base_url, timeout=60) as http:
        yield Journey(platform, http)


async def courier_app(journey: Journey, partner_id: str, courier_id: str) -> MintedToken:
    auth = journey.platform.auth
    issued = await auth.service.clients.create(
        partner_id=partner_id, name="Rider app", scopes=COURIER,
        grant_types=["client_credentials"], courier_id=courier_id)
    async with auth.oauth_client(issued, scope=COURIER) as client:
        token = await client.fetch_token(auth.url("/oauth/token"),
                                         grant_type="client_credentials")
    return MintedToken(token["access_token"], issued.client.client_id, partner_id,
                       frozenset(token["scope"].split()))


def _store(code: str) -> dict[str, Any]:
    return {"code": code, "name": f"Store {code}", "address": {"line1": "1 Road",
                                                                "city": "Shanghai"},
            "location": {"lat": 31.2300, "lng": 121.4800}, "openingHours": ALWAYS,
            "services": ["DELIVERY", "PICKUP"], "deliveryRadiusMeters": 3000}


async def move(journey: Journey, token: MintedToken, order_id: str, to: str) -> dict:
    return (await journey.gql(MOVE, token, input={"orderId": order_id, "to": to,
                                                  "idempotencyKey": new_id("evt")}))


async def test_app_order_to_doorstep_earns_points(journey: Journey) -> None:
    chain = await journey.partner("Lotus Mart")
    app = await journey.app(chain, CHAIN)
    store = (await journey.ok("""mutation($input: UpsertStoreInput!) { upsertStore(
      input: $input) { store { id } """ + ERRORS + " } }", app, input=_store("LM-1")))[
        "store"]["id"]
    products = (await journey.ok("""mutation($input: UpsertProductsInput!) { upsertProducts(
      input: $input) { products { id } """ + ERRORS + " } }", app, input={
        "items": [{"sku": "MILK", "name": "Milk", "price": {"amount": 1250}}],
        "idempotencyKey": new_id("evt")}))["products"]
    await journey.ok("""mutation($input: SyncInventoryInput!) { syncInventory(input: $input) {
      applied """ + ERRORS + " } }", app, input={"storeId": store, "idempotencyKey": "s1",
        "items": [{"sku": "MILK", "onHand": 8, "occurredAt": "2026-01-01T00:00:00Z"}]})
    await journey.ok("""mutation($input: SetEarnRuleInput!) { setEarnRule(input: $input) {
      earnRule { pointsPerCurrencyUnit } """ + ERRORS + " } }", app, input={
        "pointsPerCurrencyUnit": 2, "pointValue": {"amount": 5}})
    member = (await journey.ok("""mutation($input: RegisterMemberInput!) { registerMember(
      input: $input) { member { id } """ + ERRORS + " } }", app, input={
        "phone": f"+86138{random.randrange(10**8):08d}",
        "displayName": "Lin"}))["member"]["id"]
    before = (await journey.ok(POINTS, app, id=member))["pointsBalance"]

    order = (await journey.ok(PLACE, app, input={
        "merchantId": chain, "channel": "APP", "memberId": member,
        "lines": [{"productId": products[0]["id"], "quantity": 2}],
        "fulfillment": {"type": "DELIVERY", "location": {"lat": 31.2300, "lng": 121.4700},
                        "address": {"line1": "9 Lane", "city": "Shanghai"}},
        "idempotencyKey": new_id("evt")}))["order"]
    assert order["status"] == "CREATED" and order["total"]["amount"] == 2500
    assert order["fulfillment"]["stores"] == [{"id": store}]
    payment = (await journey.ok("""mutation($input: CreatePaymentInput!) { createPayment(
      input: $input) { payment { id status } """ + ERRORS + " } }", app, input={
        "orderId": order["id"], "purpose": "ORDER", "idempotencyKey": new_id("evt"),
        "portions": [{"method": "EXTERNAL", "amount": {"amount": 2500}}]}))["payment"]
    await journey.paid(payment["id"])

    staff = await journey.app(chain, STAFF, stores=(store,))
    for to in ("ACCEPTED", "PREPARING"):
        moved = await move(journey, staff, order["id"], to)
        assert moved["data"]["transitionOrder"]["order"]["status"] == to, moved
    await journey.ok("""mutation($input: AssignCourierInput!) { assignCourier(input: $input) {
      order { id } """ + ERRORS + " } }", app, input={"orderId": order["id"],
                                                       "courierId": "rider-9"})
    rider = await courier_app(journey, chain, "rider-9")
    assignment = await journey.ok("""{ courierAssignment(courierId: "rider-9") {
      orders { id } route { stops { id } totalDistanceMeters } } }""", rider)
    assert [o["id"] for o in assignment["orders"]] == [order["id"]]
    assert assignment["route"]["stops"] == [{"id": order["id"]}]
    refused = await move(journey, staff, order["id"], "COMPLETED")
    assert refused["data"]["transitionOrder"]["userErrors"][0]["code"] == "ILLEGAL_TRANSITION"
    for to in ("OUT_FOR_DELIVERY", "COMPLETED"):
        moved = await move(journey, rider, order["id"], to)
        assert moved["data"]["transitionOrder"]["order"]["status"] == to, moved

    seen = await journey.ok("""query($id: ID!) { order(id: $id) { status
      history { status actor } payments { id } } }""", app, id=order["id"])
    assert [(h["status"], h["actor"]) for h in seen["history"]] == [
        ("CREATED", "STORE_STAFF"), ("PAID", "SYSTEM"), ("ACCEPTED", "STORE_STAFF"),
        ("PREPARING", "STORE_STAFF"), ("OUT_FOR_DELIVERY", "COURIER"),
        ("COMPLETED", "COURIER")]
    assert seen["payments"] == [{"id": payment["id"]}]
    paid_for = await journey.ok("""query($id: ID!) { payment(id: $id) { order { id status } }
      }""", app, id=payment["id"])
    assert paid_for["order"] == {"id": order["id"], "status": "COMPLETED"}
    after = (await journey.ok(POINTS, app, id=member))["pointsBalance"]
    assert after - (before or 0) == 2 * 25
    rival = await journey.app(await journey.partner("Rival"), CHAIN)
    assert (await journey.ok("query($id: ID!) { order(id: $id) { id } }", rival,
                             id=order["id"])) is None
