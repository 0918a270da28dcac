"""GraphiQL inside the console, as the signed-in person: the same GraphiQL and React files
``/graphql`` serves (:mod:`gateway.http.graphiql`, from a PyPI wheel; no CDN), a fetcher posting
to the console's proxy (:mod:`gateway.console.api`), which adds the person's token server-side."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from gateway.console.api import PATH as API_PATH
from gateway.console.guard import console_page
from gateway.console.layout import esc, page
from gateway.console.visit import ConsoleSetup, Visit
from gateway.http.graphiql import assets

PATH = "/console/graphiql"
_SCRIPTS = ("react.production.min.js", "react-dom.production.min.js", "graphiql.min.js")


async def _graphiql(visit: Visit) -> Response:
    files = assets()
    head = f'\n<link rel="stylesheet" href="{esc(files["graphiql.min.css"].url)}">'
    html = (f'<h1>GraphiQL</h1><p>Queries run as you ({esc(visit.user.email)}, '
            f'{esc(visit.user.role)}), with your session\'s scopes.</p>'
            f'<div id="graphiql" data-endpoint="{API_PATH}" data-csrf="{esc(visit.csrf)}" '
            f'role="region" aria-label="GraphiQL editor">Loading GraphiQL…</div>')
    return page("GraphiQL", html, session=visit.session, current=PATH, head=head,
                scripts=[*(files[name].url for name in _SCRIPTS), "console-graphiql.js"])


def graphiql_routes(setup: ConsoleSetup) -> list[Route]:
    return [Route(PATH, console_page(setup, _graphiql, roles=("admin", "developer")),
                  methods=["GET"])]
