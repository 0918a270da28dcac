"""The console's first page: whose console this is, and where to go from here.

Store staff see their stores (each linking to its store page); admins and developers see the
partner's figures at a glance and the portal's sections.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from gateway.console.guard import console_page
from gateway.console.layout import NAV, esc, notice, page
from gateway.console.portal._results import data, problems
from gateway.console.visit import ConsoleSetup, Visit

PATH = "/console"
STORE_PATH = "/console/stores/{store_id}"
_VIEWER = "{ viewer { partner { id name type } scopes } }"
_STORE = "query($id: ID!) { store(id: $id) { id code name } }"


async def _stores(visit: Visit) -> str:
    items = []
    for store_id in sorted(visit.user.store_ids):
        store = data(await visit.graphql(_STORE, {"id": store_id}), "store") or {}
        name = f'{store.get("name", store_id)} ({store.get("code", "?")})' if store else store_id
        items.append(f'<li><a href="/console/stores/{esc(store_id)}">{esc(name)}</a></li>')
    return f'<h2>Your stores</h2><ul>{"".join(items)}</ul>'


async def _home(visit: Visit) -> Response:
    body = await visit.graphql(_VIEWER)
    viewer = data(body, "viewer", {})
    partner = (viewer.get("partner") or {}).get("name", visit.user.partner_id)
    sections = "".join(f'<li><a href="{esc(item.path)}">{esc(item.label)}</a></li>'
                       for item in NAV[1:] if visit.user.role in item.roles)
    stores = await _stores(visit) if visit.user.store_ids else ""
    scopes = " ".join(f"<code>{esc(s)}</code>" for s in sorted(visit.user.scopes))
    html = f"""<h1>{esc(partner)}</h1>{"".join(notice(e, error=True) for e in problems(body))}
<p>Signed in as {esc(visit.user.email)}, {esc(visit.user.role)}.</p>{stores}
<h2>Sections</h2><ul>{sections or "<li>Your store pages are listed above.</li>"}</ul>
<details><summary>What your session may do</summary><p>{scopes}</p></details>"""
    return page("Overview", html, session=visit.session, current=PATH)


async def _store(visit: Visit) -> Response:
    store_id = visit.request.path_params["store_id"]
    body = await visit.graphql(_STORE, {"id": store_id})
    store = data(body, "store")
    if store is None:
        html = f"<h1>Store</h1>{notice('No such store of your partner.', error=True)}"
        return page("Store", html, session=visit.session, status=404)
    links = f'<p><a href="/console/stores/{esc(store["id"])}/orders">Order board</a>'
    if visit.user.role == "staff":
        links += f' · <a href="/console/stores/{esc(store["id"])}/redeem">Redeem vouchers</a>'
    html = (f'<h1>{esc(store["name"])}</h1><p>Store code <code>{esc(store["code"])}</code>, '
            f'id <code>{esc(store["id"])}</code>.</p>{links}</p>')
    return page(store["name"], html, session=visit.session)


def home_routes(setup: ConsoleSetup) -> list[Route]:
    return [Route(PATH, console_page(setup, _home), methods=["GET"]),
            Route(STORE_PATH, console_page(setup, _store, store_param="store_id"),
                  methods=["GET"])]
