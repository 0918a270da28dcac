"""Every userError's ``field`` path starts at the mutation's input (``["input", …]``), or at
its one argument for a mutation that takes an id instead of an input (``["appId"]``).

Each mutation of the composed platform graph is driven through the gateway into the userErrors
it can return cheaply (invalid values, missing or foreign stores, duplicates, a reused
idempotency key), and every returned path is checked. A mutation added to the graph without
cases here fails the test, so the convention keeps being checked as domains arrive.
"""

from typing import Any

from schema.kernel.ids import new_id
from tests.auth.fixtures import MintedToken
from tests.e2e.conftest import GraphQL, Platform
from tests.e2e.test_open_catalogue import store_input

SCOPES = ("stores:read stores:write catalog:read catalog:write inventory:read "
          "inventory:write")
NOW = "2026-01-01T00:00:00Z"

UPSERT_STORE = """mutation($input: UpsertStoreInput!) {
  upsertStore(input: $input) { store { id } userErrors { code field message } } }"""
SET_STATUS = """mutation($input: SetStoreStatusInput!) {
  setStoreStatus(input: $input) { store { id } userErrors { code field message } } }"""
UPSERT_PRODUCTS = """mutation($input: UpsertProductsInput!) {
  upsertProducts(input: $input) { products { id } userErrors { code field message } } }"""
SYNC_INVENTORY = """mutation($input: SyncInventoryInput!) {
  syncInventory(input: $input) { applied userErrors { code field message } } }"""
SYNC_PRICES = """mutation($input: SyncPricesInput!) {
  syncPrices(input: $input) { applied userErrors { code field message } } }"""
POINTS_SCOPES = "members:read members:write points:read points:write"
REGISTER_MEMBER = """mutation($input: RegisterMemberInput!) {
  registerMember(input: $input) { member { id } userErrors { code field message } } }"""
SET_EARN_RULE = """mutation($input: SetEarnRuleInput!) {
  setEarnRule(input: $input) { earnRule { pointsPerCurrencyUnit }
    userErrors { code field message } } }"""
EARN_POINTS = """mutation($input: EarnPointsInput!) {
  earnPoints(input: $input) { balance userErrors { code field message } } }"""
REDEEM_POINTS = """mutation($input: RedeemPointsInput!) {
  redeemPoints(input: $input) { balance userErrors { code field message } } }"""
REVERSE_POINTS = """mutation($input: ReversePointsInput!) {
  reversePoints(input: $input) { balance userErrors { code field message } } }"""


def _product(sku: str, amount: int = 500, name: str = "Tea") -> dict[str, Any]:
    return {"sku": sku, "name": name, "price": {"amount": amount, "currency": "CNY"}}


def _count(sku: str) -> dict[str, Any]:
    return {"sku": sku, "onHand": 3, "occurredAt": NOW}


def _price(sku: str) -> dict[str, Any]:
    return {"sku": sku, "price": {"amount": 600, "currency": "CNY"}, "occurredAt": NOW}


async def _errors(graphql: GraphQL, query: str, token: MintedToken,
                  **input_fields: Any) -> tuple[str, list[dict[str, Any]]]:
    answer = await graphql(query, {"input": input_fields}, token=token)
    assert "errors" not in answer, answer
    [(mutation, payload)] = answer["data"].items()
    return mutation, payload["userErrors"]


async def _cases(platform: Platform, graphql: GraphQL) -> list[tuple[str, list[dict]]]:
    """(mutation, its userErrors) for every cheap refusal, against real data."""
    me = await platform.partner("Paths Mart", SCOPES)
    rival = await platform.partner("Rival Mart", SCOPES)
    rival_store = (await graphql(UPSERT_STORE, {"input": store_input("R-1")}, token=rival))[
        "data"]["upsertStore"]["store"]["id"]
    my_store = (await graphql(UPSERT_STORE, {"input": store_input("P-1")}, token=me))[
        "data"]["upsertStore"]["store"]["id"]
    key = f"key-{new_id('evt')}"
    done = await _errors(graphql, UPSERT_PRODUCTS, me, items=[_product("TEA")],
                         idempotencyKey=key)
    assert done[1] == []
    bad_store = {**store_input(" "), "name": " ", "location": {"lat": 91, "lng": 181},
                 "timeZone": "Mars/Olympus", "services": [], "deliveryRadiusMeters": 0,
                 "openingHours": [{"dayOfWeek": 9, "opens": "25:00", "closes": "x"}],
                 "specialHours": [{"date": "2026-02-01", "closed": True, "opens": "08:00"}]}
    unknown_store = new_id("sto")
    cases = [
        await _errors(graphql, UPSERT_STORE, me, **bad_store),
        await _errors(graphql, SET_STATUS, me, storeId=unknown_store, status="CLOSED"),
        await _errors(graphql, SET_STATUS, me, storeId=rival_store, status="CLOSED"),
        await _errors(graphql, UPSERT_PRODUCTS, me, idempotencyKey=new_id("evt"), items=[
            _product(" ", name=" ", amount=-1), _product("A"), _product("A")]),
        await _errors(graphql, UPSERT_PRODUCTS, me, items=[_product("TEA", amount=900)],
                      idempotencyKey=key),
    ]
    for store in ({"storeId": my_store, "storeCode": "P-1"}, {},
                  {"storeCode": "NO-SUCH-CODE"}, {"storeId": unknown_store},
                  {"storeId": rival_store}):
        cases.append(await _errors(graphql, SYNC_INVENTORY, me, **store, items=[_count("TEA")],
                                   idempotencyKey=new_id("evt")))
    sync_key, prices_key = new_id("evt"), new_id("evt")
    assert (await _errors(graphql, SYNC_INVENTORY, me, storeId=my_store, idempotencyKey=sync_key,
                          items=[_count("TEA")]))[1] == []
    assert (await _errors(graphql, SYNC_PRICES, me, idempotencyKey=prices_key,
                          items=[_price("TEA")]))[1] == []
    cases += [
        await _errors(graphql, SYNC_INVENTORY, me, storeId=my_store, idempotencyKey=new_id("evt"),
                      items=[_count("TEA"), _count("TEA")]),
        await _errors(graphql, SYNC_INVENTORY, me, storeId=my_store, idempotencyKey=sync_key,
                      items=[_count("TEA"), _count("OTHER")]),
        await _errors(graphql, SYNC_PRICES, me, idempotencyKey=new_id("evt"),
                      items=[_price("TEA"), _price("TEA")]),
        await _errors(graphql, SYNC_PRICES, me, idempotencyKey=prices_key,
                      items=[_price("TEA"), _price("OTHER")]),
    ]
    return (cases + await _points_cases(platform, graphql)
            + await _payment_cases(platform, graphql) + await _marketing_cases(platform, graphql)
            + await _order_cases(platform, graphql) + await _partner_cases(platform, graphql))


async def _points_cases(platform: Platform, graphql: GraphQL) -> list[tuple[str, list[dict]]]:
    """Membership refusals: a bad phone and rule, unknown members and entries, no earn rule."""
    merchant = await platform.partner("Points Mart", POINTS_SCOPES)
    member = (await graphql(REGISTER_MEMBER, {"input": {"phone": "13800007777",
                                                        "displayName": "Eve"}},
                            token=merchant))["data"]["registerMember"]["member"]["id"]
    return [
        await _errors(graphql, REGISTER_MEMBER, merchant, phone="not a phone", displayName="X"),
        await _errors(graphql, SET_EARN_RULE, merchant, pointsPerCurrencyUnit=0,
                      pointValue={"amount": 0, "currency": "USD"}),
        await _errors(graphql, EARN_POINTS, merchant, memberId=new_id("mem"),
                      spend={"amount": -5}, idempotencyKey=new_id("evt")),
        await _errors(graphql, REDEEM_POINTS, merchant, memberId=member, points=10,
                      idempotencyKey=new_id("evt")),
        await _errors(graphql, REVERSE_POINTS, merchant, entryId=new_id("led"),
                      idempotencyKey=new_id("evt")),
    ]


PAYMENT_SCOPES = "members:write payments:read payments:write refunds:write"
CREATE_PAYMENT = """mutation($input: CreatePaymentInput!) {
  createPayment(input: $input) { payment { id } userErrors { code field message } } }"""
TOP_UP = """mutation($input: TopUpInput!) {
  topUpStoredValue(input: $input) { payment { id } userErrors { code field message } } }"""
CANCEL_PAYMENT = """mutation($input: CancelPaymentInput!) {
  cancelPayment(input: $input) { payment { id } userErrors { code field message } } }"""
REFUND_PAYMENT = """mutation($input: RefundPaymentInput!) {
  refundPayment(input: $input) { refund { id } userErrors { code field message } } }"""


async def _payment_cases(platform: Platform, graphql: GraphQL) -> list[tuple[str, list[dict]]]:
    """Payments refusals: portions that do not add up, a balance portion without a member,
    points without an earn rule, unknown members and payments, a bad top-up."""
    merchant = await platform.partner("Pay Mart", PAYMENT_SCOPES)
    return [
        await _errors(graphql, CREATE_PAYMENT, merchant, purpose="ORDER",
                      amount={"amount": 500}, idempotencyKey=new_id("evt"),
                      portions=[{"method": "STORED_VALUE", "amount": {"amount": 100}},
                                {"method": "POINTS", "points": 5}]),
        await _errors(graphql, CREATE_PAYMENT, merchant, purpose="ORDER", memberId=new_id("mem"),
                      amount={"amount": 500}, idempotencyKey=new_id("evt"),
                      portions=[{"method": "STORED_VALUE", "amount": {"amount": 500}}]),
        await _errors(graphql, TOP_UP, merchant, memberId=new_id("mem"),
                      amount={"amount": -1}, idempotencyKey=new_id("evt")),
        await _errors(graphql, CANCEL_PAYMENT, merchant, paymentId=new_id("pay"),
                      idempotencyKey=new_id("evt")),
        await _errors(graphql, REFUND_PAYMENT, merchant, paymentId=new_id("pay"),
                      amount={"amount": 100}, idempotencyKey=new_id("evt")),
    ]


MARKETING_SCOPES = "deals:write vouchers:redeem refunds:write payments:write"
CREATE_CAMPAIGN = """mutation($input: CreateCampaignInput!) {
  createCampaign(input: $input) { campaign { id } userErrors { code field message } } }"""
CREATE_DEAL = """mutation($input: CreateDealInput!) {
  createDeal(input: $input) { deal { id } userErrors { code field message } } }"""
PURCHASE_DEAL = """mutation($input: PurchaseDealInput!) {
  purchaseDeal(input: $input) { vouchers { id } userErrors { code field message } } }"""
REDEEM_VOUCHER = """mutation($input: RedeemVoucherInput!) {
  redeemVoucher(input: $input) { voucher { id } userErrors { code field message } } }"""
REFUND_VOUCHER = """mutation($input: RefundVoucherInput!) {
  refundVoucher(input: $input) { voucher { id } userErrors { code field message } } }"""


async def _marketing_cases(platform: Platform,
                           graphql: GraphQL) -> list[tuple[str, list[dict]]]:
    """Marketing refusals: a backwards campaign, a deal below its price at a foreign store,
    quantity 0, unknown deals, a mistyped code, unknown vouchers."""
    merchant = await platform.partner("Deal Mart", MARKETING_SCOPES)
    return [
        await _errors(graphql, CREATE_CAMPAIGN, merchant, name=" ", startsAt=NOW,
                      endsAt=NOW, pointsMultiplier=0),
        await _errors(graphql, CREATE_DEAL, merchant, title="Tea", price={"amount": 500},
                      faceValue={"amount": 400}, validFrom="2099-01-02T00:00:00Z",
                      validUntil="2099-01-01T00:00:00Z", storeIds=[new_id("sto")]),
        await _errors(graphql, CREATE_DEAL, merchant, title="Tea", price={"amount": 500},
                      faceValue={"amount": 600}, validFrom=NOW,
                      validUntil="2099-01-01T00:00:00Z", storeIds=[new_id("sto")]),
        await _errors(graphql, PURCHASE_DEAL, merchant, dealId=new_id("dea"),
                      memberId=new_id("mem"), quantity=0, channel="APP", portions=[],
                      idempotencyKey=new_id("evt")),
        await _errors(graphql, PURCHASE_DEAL, merchant, dealId=new_id("dea"),
                      memberId=new_id("mem"), quantity=1, channel="APP", portions=[],
                      idempotencyKey=new_id("evt")),
        await _errors(graphql, REDEEM_VOUCHER, merchant, code="ABCD-EFGH-JKMN-PQRS",
                      storeId=new_id("sto"), idempotencyKey=new_id("evt")),
        await _errors(graphql, REFUND_VOUCHER, merchant, voucherId=new_id("vch"),
                      idempotencyKey=new_id("evt")),
    ]


ORDER_SCOPES = "orders:read orders:write"
PLACE_ORDER = """mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) { order { id } userErrors { code field message } } }"""
TRANSITION_ORDER = """mutation($input: TransitionOrderInput!) {
  transitionOrder(input: $input) { order { id } userErrors { code field message } } }"""
CANCEL_ORDER = """mutation($input: CancelOrderInput!) {
  cancelOrder(input: $input) { order { id } userErrors { code field message } } }"""
ASSIGN_COURIER = """mutation($input: AssignCourierInput!) {
  assignCourier(input: $input) { order { id } userErrors { code field message } } }"""


async def _order_cases(platform: Platform, graphql: GraphQL) -> list[tuple[str, list[dict]]]:
    """Orders refusals: no lines, a zero quantity, a delivery without its location, unknown
    products and orders."""
    merchant = await platform.partner("Order Mart", ORDER_SCOPES)
    me = merchant.partner_id
    pickup = {"type": "PICKUP", "storeId": new_id("sto")}
    return [
        await _errors(graphql, PLACE_ORDER, merchant, merchantId=me, channel="APP", lines=[],
                      fulfillment=pickup, idempotencyKey=new_id("evt")),
        await _errors(graphql, PLACE_ORDER, merchant, merchantId=me, channel="POS",
                      lines=[{"productId": new_id("prd"), "quantity": 0}],
                      fulfillment={"type": "DELIVERY"}, idempotencyKey=new_id("evt")),
        await _errors(graphql, PLACE_ORDER, merchant, merchantId=me, channel="APP",
                      lines=[{"productId": new_id("prd"), "quantity": 1}],
                      fulfillment=pickup, idempotencyKey=new_id("evt")),
        await _errors(graphql, TRANSITION_ORDER, merchant, orderId=new_id("ord"), to="PAID",
                      idempotencyKey=new_id("evt")),
        await _errors(graphql, CANCEL_ORDER, merchant, orderId=new_id("ord"),
                      idempotencyKey=new_id("evt")),
        await _errors(graphql, ASSIGN_COURIER, merchant, orderId=new_id("ord"),
                      courierId="rider-1"),
    ]


SELF_SERVICE_SCOPES = "apps:manage webhooks:manage subgraphs:manage"
ID_MUTATIONS = {
    "rotateAppSecret": "appId", "revokeApp": "appId", "deleteWebhookEndpoint": "endpointId",
    "rotateWebhookSecret": "endpointId", "removeSubgraph": "subgraphId"}
"""The self-service mutations that take one id, not an input, with that argument."""
ENDPOINT = "endpoint { id } userErrors { code field message }"


async def _by_id(graphql: GraphQL, mutation: str, payload: str, token: MintedToken,
                 value: str) -> tuple[str, list[dict[str, Any]]]:
    argument = ID_MUTATIONS[mutation]
    answer = await graphql(f"mutation($v: ID!) {{ {mutation}({argument}: $v) {{ {payload} }} }}",
                           {"v": value}, token=token)
    assert "errors" not in answer, answer
    return mutation, answer["data"][mutation]["userErrors"]


async def _partner_cases(platform: Platform, graphql: GraphQL) -> list[tuple[str, list[dict]]]:
    """The partners' self-service refusals: bad names, scopes, URLs and topics, ids that are
    malformed or unknown, a replay naming neither a delivery nor a time."""
    me = await platform.partner("Self Mart", SELF_SERVICE_SCOPES)
    app = "app { id } clientSecret userErrors { code field message }"
    subgraph = "subgraph { id } userErrors { code field message }"
    return [
        await _errors(graphql, f"""mutation($input: CreateAppInput!) {{
            createApp(input: $input) {{ {app} }} }}""", me, name=" ", scopes=["nope:x"]),
        await _by_id(graphql, "rotateAppSecret", app, me, '{"$gt": ""}'),
        await _by_id(graphql, "revokeApp", app, me, new_id("app")),
        await _errors(graphql, f"""mutation($input: CreateWebhookEndpointInput!) {{
            createWebhookEndpoint(input: $input) {{ {ENDPOINT} }} }}""", me,
                      url="http://10.0.0.1/hook", topics=["order.created"]),
        await _errors(graphql, f"""mutation($input: CreateWebhookEndpointInput!) {{
            createWebhookEndpoint(input: $input) {{ {ENDPOINT} }} }}""", me,
                      url="https://example.com/hook", topics=["no.such.topic"]),
        await _errors(graphql, f"""mutation($input: UpdateWebhookEndpointInput!) {{
            updateWebhookEndpoint(input: $input) {{ {ENDPOINT} }} }}""", me,
                      endpointId=new_id("whk"), enabled=False),
        await _by_id(graphql, "deleteWebhookEndpoint", ENDPOINT, me, new_id("whk")),
        await _by_id(graphql, "rotateWebhookSecret", ENDPOINT, me, "whk_nope"),
        await _errors(graphql, """mutation($input: ReplayDeliveriesInput!) {
            replayWebhookDeliveries(input: $input) { replayed userErrors { code field message }
            } }""", me, endpointId=new_id("whk")),
        await _errors(graphql, f"""mutation($input: RegisterSubgraphInput!) {{
            registerSubgraph(input: $input) {{ {subgraph} }} }}""", me,
                      name="Not A Name", url="https://example.com/graphql"),
        await _by_id(graphql, "removeSubgraph", subgraph, me, new_id("sgr")),
    ]


async def _mutations(graphql: GraphQL, token: MintedToken) -> set[str]:
    answer = await graphql("{ __schema { mutationType { fields { name } } } }", token=token)
    return {f["name"] for f in answer["data"]["__schema"]["mutationType"]["fields"]}


async def test_every_user_error_field_starts_at_the_input(platform: Platform,
                                                          graphql: GraphQL) -> None:
    cases = await _cases(platform, graphql)
    assert [(i, mutation) for i, (mutation, errors) in enumerate(cases) if not errors] == [], \
        "each case must produce userErrors"
    everything = await _mutations(graphql, await platform.partner("Reader", "stores:read"))
    assert everything - {mutation for mutation, _ in cases} == set(), \
        "add userError cases for these mutations"
    paths = [(mutation, error["code"], error["field"]) for mutation, errors in cases
             for error in errors]
    wrong = [path for path in paths
             if not path[2] or path[2][0] != ID_MUTATIONS.get(path[0], "input")]
    assert wrong == [], f"userError fields not under input: {wrong}"
