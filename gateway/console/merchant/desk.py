"""The store desk: ``/console/desk``, the stores a person works at and their pages.

Store staff see the stores they are bound to (the order board and the redemption screen of
each); admins see every store of the partner (the order boards: redeeming is done by the
store's own staff, whose tokens are bound to it).
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from gateway.console.guard import console_page
from gateway.console.layout import add_nav, esc, notice
from gateway.console.merchant.board import board_path
from gateway.console.merchant.pages import merchant_page
from gateway.console.merchant.redeem import redeem_path
from gateway.console.portal._results import data, problems
from gateway.console.visit import ConsoleSetup, Visit

PATH = "/console/desk"
MAX_STORES = 100
STORE = "query($id: ID!) { store(id: $id) { id code name } }"
STORES = """query($merchant: ID!, $first: Int) { stores(filter: {merchantId: $merchant},
  first: $first) { edges { node { id code name } } totalCount } }"""


async def _stores(visit: Visit) -> tuple[list[dict[str, str]], list[str]]:
    if visit.user.store_ids:
        found, errors = [], []
        for store_id in sorted(visit.user.store_ids):
            body = await visit.graphql(STORE, {"id": store_id})
            errors += problems(body)
            found.append(data(body, "store") or {"id": store_id, "code": "?", "name": store_id})
        return found, errors
    body = await visit.graphql(STORES, {"merchant": visit.user.partner_id, "first": MAX_STORES})
    edges = data(body, "stores", {"edges": []})["edges"]
    return [edge["node"] for edge in edges], problems(body)


async def _desk(visit: Visit) -> Response:
    stores, errors = await _stores(visit)
    staff = visit.user.role == "staff"
    rows = []
    for store in stores:
        redeem = (f' · <a href="{esc(redeem_path(store["id"]))}">Redeem vouchers'
                  f'<span class="vh"> at {esc(store["code"])}</span></a>') if staff else ""
        rows.append(f'<li><strong>{esc(store["name"])}</strong> ({esc(store["code"])}): '
                    f'<a href="{esc(board_path(store["id"]))}">Order board<span class="vh"> of '
                    f'{esc(store["code"])}</span></a>{redeem}</li>')
    listed = f'<ul class="desk">{"".join(rows)}</ul>' if rows else "<p>No stores yet.</p>"
    intro = ("Your stores: follow their orders live and redeem vouchers." if staff
             else "Every store of your partner: follow its orders live.")
    html = (f'<h1>Store desk</h1>{"".join(notice(e, error=True) for e in errors)}'
            f'<p>{intro}</p>{listed}')
    return merchant_page(visit, "Store desk", html, current=PATH)


def desk_routes(setup: ConsoleSetup) -> list[Route]:
    add_nav(PATH, "Store desk", ("admin", "staff"))
    return [Route(PATH, console_page(setup, _desk, roles=("admin", "staff")), methods=["GET"])]
