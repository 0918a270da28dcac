"""A store's live order board: ``/console/stores/{store_id}/orders`` (its staff, and admins).

The page is drawn on the server with the store's open orders (oldest placed first in each
column, as the script inserts them); its
script (``order-board.js``) then follows ``orderStatusChanged(storeId)`` through
``/console/stream`` so moves made anywhere (another till, the POS, a partner's app) appear
without a reload, and sends the card buttons as ``transitionOrder`` through
``/console/graphql``. Without script each button is a form posted here: the order is moved
with the button's own idempotency key (a resent form moves it once) and the board is shown
again with the outcome.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from gateway.console.guard import console_page
from gateway.console.layout import esc, notice
from gateway.console.merchant.cards import (
    BOARD_STATUSES,
    COLUMNS,
    ORDER_FIELDS,
    STATUS_NAMES,
    TARGETS,
    board_data,
    card,
)
from gateway.console.merchant.format import short_id
from gateway.console.merchant.pages import merchant_page
from gateway.console.portal._results import data, first, problems
from gateway.console.visit import ConsoleSetup, Visit

PATH = "/console/stores/{store_id}/orders"
ROLES = ("admin", "staff")
MAX_ORDERS = 100
STORE = "query($id: ID!) { store(id: $id) { id code name } }"
ORDERS = ("query($store: ID!, $statuses: [OrderStatus!], $first: Int) { orders(filter: "
          "{storeId: $store, statuses: $statuses}, first: $first) { edges { node { "
          + ORDER_FIELDS + " } } pageInfo { hasNextPage } } }")
TRANSITION = ("mutation($input: TransitionOrderInput!) { transitionOrder(input: $input) { "
              "order { id status } userErrors { code message } } }")


def board_path(store_id: str) -> str:
    return PATH.replace("{store_id}", store_id)


def _column(status: str, label: str, orders: list[dict[str, Any]], action: str,
            csrf: str) -> str:
    cards = "".join(card(order, action, csrf) for order in orders if order["status"] == status)
    count = sum(1 for order in orders if order["status"] == status)
    return (f'<section class="column" aria-labelledby="col-{status}">'
            f'<h2 id="col-{status}">{esc(label)} <span class="count">({count})</span></h2>'
            f'<ol class="cards" data-status="{status}">{cards}</ol></section>')


async def _board(visit: Visit) -> Response:
    store_id = visit.request.path_params["store_id"]
    store = data(await visit.graphql(STORE, {"id": store_id}), "store")
    if store is None:
        html = f"<h1>Order board</h1>{notice('No such store of your partner.', error=True)}"
        return merchant_page(visit, "Order board", html, status=404)
    body = await visit.graphql(ORDERS, {"store": store_id, "statuses": list(BOARD_STATUSES),
                                        "first": MAX_ORDERS})
    found = data(body, "orders", {"edges": [], "pageInfo": {"hasNextPage": False}})
    orders = sorted((edge["node"] for edge in found["edges"]), key=lambda o: o["createdAt"])
    more = notice(f"Only the first {MAX_ORDERS} open orders are shown.") \
        if found["pageInfo"]["hasNextPage"] else ""
    action = board_path(store_id)
    attributes = "".join(f' data-{name}="{esc(value)}"'
                         for name, value in board_data(store_id).items())
    columns = "".join(_column(status, label, orders, action, visit.csrf)
                      for status, label in COLUMNS)
    html = f"""<h1>Orders · {esc(store["name"])} ({esc(store["code"])})</h1>
<div id="board-message">{await visit.take_flash()}</div>
{"".join(notice(e, error=True) for e in problems(body))}{more}
<p id="board-live" class="live-state muted" role="status">Live updates need JavaScript; without
it, reload to see changes.</p>
<p id="board-news" class="vh" aria-live="polite"></p>
<div class="board" id="board"{attributes}>{columns}</div>"""
    return merchant_page(visit, f"Orders · {store['name']}", html,
                         scripts=("live-stream.js", "order-board.js"))


async def _move(visit: Visit) -> Response:
    """The board's buttons without script: move the order, show the board again."""
    store_id = visit.request.path_params["store_id"]
    form = await visit.form()
    order_id, target, key = first(form, "order"), first(form, "to"), first(form, "key")
    here = board_path(store_id)
    if not order_id or target not in TARGETS or not key:
        return await visit.flash("That button is not one of the board's: nothing was moved.",
                                 error=True, to=here)
    body = await visit.graphql(TRANSITION, {"input": {
        "orderId": order_id, "to": target, "idempotencyKey": key}})
    refused = problems(body, "transitionOrder")
    number = short_id(order_id)
    if refused:
        return await visit.flash(f"Order {number} was not moved: {'; '.join(refused)}",
                                 error=True, to=here)
    return await visit.flash(f"Order {number} is now {STATUS_NAMES[target].lower()}.", to=here)


def board_routes(setup: ConsoleSetup) -> list[Route]:
    return [Route(PATH, console_page(setup, _board, roles=ROLES, store_param="store_id"),
                  methods=["GET"]),
            Route(PATH, console_page(setup, _move, roles=ROLES, store_param="store_id"),
                  methods=["POST"])]
