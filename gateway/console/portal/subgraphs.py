"""The partner's registered subgraphs: status, composition errors, register and remove
(admins and developers). A registration that does not compose is refused with the composition
errors, and the graph goes on serving as before."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from gateway.console.guard import Endpoint, Handler, console_page
from gateway.console.layout import csrf_field, esc, notice, page
from gateway.console.portal._results import data, first, problems
from gateway.console.visit import ConsoleSetup, Visit

PATH = "/console/subgraphs"
BUILDERS = ("admin", "developer")
_LIST = "{ partnerSubgraphs { id name url status errors supergraphVersion updatedAt } }"
_REGISTER = """mutation($input: RegisterSubgraphInput!) { registerSubgraph(input: $input) {
  subgraph { id name status } userErrors { code field message } } }"""
_REMOVE = """mutation($id: ID!) { removeSubgraph(subgraphId: $id) {
  subgraph { id name status } userErrors { code field message } } }"""
_BADGE = {"ACTIVE": "good", "REJECTED": "bad"}


def _row(visit: Visit, subgraph: dict[str, Any]) -> str:
    errors = "".join(f"<li>{esc(e)}</li>" for e in subgraph["errors"])
    errors_html = (f'<ul class="error">{errors}</ul>' if errors
                   else '<span class="muted">none</span>')
    remove = "" if subgraph["status"] == "REMOVED" else (
        f'<form class="inline" method="post" action="{PATH}/{esc(subgraph["id"])}/remove" '
        f'data-confirm="Remove {esc(subgraph["name"])} from the graph?">'
        f'{csrf_field(visit.session)}<button type="submit" class="danger" aria-label='
        f'"Remove the subgraph {esc(subgraph["name"])}">Remove</button></form>')
    version = subgraph["supergraphVersion"] if subgraph["supergraphVersion"] is not None else "—"
    return (f'<tr><td><strong>{esc(subgraph["name"])}</strong><br><span class="mono">'
            f'{esc(subgraph["url"])}</span></td><td><span class="badge '
            f'{_BADGE.get(subgraph["status"], "")}">{esc(subgraph["status"])}</span></td>'
            f'<td>{errors_html}</td><td>{esc(version)}</td><td>{esc(subgraph["updatedAt"])}</td>'
            f'<td>{remove}</td></tr>')


async def _render(visit: Visit, message: str = "", status: int = 200) -> Response:
    body = await visit.graphql(_LIST)
    rows = "".join(_row(visit, s) for s in data(body, "partnerSubgraphs", [])) or \
        '<tr><td colspan="6">No subgraphs registered.</td></tr>'
    problems_html = "".join(notice(e, error=True) for e in problems(body))
    html = f"""<h1>Subgraphs</h1>{message}{problems_html}
<div class="table-wrap"><table><thead><tr><th scope="col">Subgraph</th>
<th scope="col">Status</th><th scope="col">Composition errors</th>
<th scope="col">Supergraph version</th><th scope="col">Updated</th>
<th scope="col">Actions</th></tr></thead><tbody>{rows}</tbody></table></div>
<h2 id="register">Register a subgraph</h2>
<p>Loopgate fetches its SDL, composes it with the platform graph, and serves it without a
restart; a subgraph that does not compose is refused with the reasons.</p>
<form method="post" action="{PATH}" aria-labelledby="register">{csrf_field(visit.session)}
<label for="subgraph-name">Name</label>
<input type="text" id="subgraph-name" name="name" required maxlength="64">
<label for="subgraph-url">URL</label>
<input type="url" id="subgraph-url" name="url" required placeholder="https://example.com/graphql">
<p><button type="submit">Register</button></p></form>"""
    return page("Subgraphs", html, session=visit.session, current=PATH, status=status)


async def _list(visit: Visit) -> Response:
    return await _render(visit, await visit.take_flash())


async def _register(visit: Visit) -> Response:
    form = await visit.form()
    answer = await visit.graphql(_REGISTER, {"input": {"name": first(form, "name"),
                                                       "url": first(form, "url")}})
    errors = problems(answer, "registerSubgraph")
    if errors:
        return await _render(visit, "".join(notice(e, error=True) for e in errors), 400)
    name = answer["data"]["registerSubgraph"]["subgraph"]["name"]
    return await visit.flash(f"{name} is registered and served.", to=PATH)


async def _remove(visit: Visit) -> Response:
    answer = await visit.graphql(_REMOVE, {"id": visit.request.path_params["subgraph_id"]})
    errors = problems(answer, "removeSubgraph")
    if errors:
        return await _render(visit, "".join(notice(e, error=True) for e in errors), 400)
    return await visit.flash("Subgraph removed from the graph.", to=PATH)


def subgraph_routes(setup: ConsoleSetup) -> list[Route]:
    def guarded(handler: Handler) -> Endpoint:
        return console_page(setup, handler, roles=BUILDERS)

    return [Route(PATH, guarded(_list), methods=["GET"]),
            Route(PATH, guarded(_register), methods=["POST"]),
            Route(PATH + "/{subgraph_id}/remove", guarded(_remove), methods=["POST"])]
