"""Usage per app: requests and errors per UTC day for the last 14 days, as a table with an
inline bar chart per app (admins: reading apps needs ``apps:manage``)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from gateway.console.guard import console_page
from gateway.console.layout import esc, notice, page
from gateway.console.portal._bars import day_bars
from gateway.console.portal._results import data, problems
from gateway.console.visit import ConsoleSetup, Visit

PATH = "/console/usage"
DAYS = 14
_USAGE = """query($days: Int!) { apps { id name sandbox revoked
  usage(days: $days) { date requests errors } } }"""


async def _usage(visit: Visit) -> Response:
    body = await visit.graphql(_USAGE, {"days": DAYS})
    rows = []
    for app in data(body, "apps", []):
        days = app["usage"]
        total = sum(day["requests"] for day in days)
        errors = sum(day["errors"] for day in days)
        rate = f"{100 * errors / total:.1f} %" if total else "—"
        chart = day_bars(days, f"Requests per day of {app['name']}, last {DAYS} days")
        rows.append(f'<tr><th scope="row">{esc(app["name"])}'
                    f'{" (sandbox)" if app["sandbox"] else ""}'
                    f'{" (revoked)" if app["revoked"] else ""}<br><code>{esc(app["id"])}</code>'
                    f'</th><td>{total}</td><td>{errors}</td><td>{rate}</td><td>{chart}</td></tr>')
    table = "".join(rows) or '<tr><td colspan="5">No apps yet.</td></tr>'
    html = f"""<h1>Usage</h1>{"".join(notice(e, error=True) for e in problems(body))}
<p>GraphQL requests made with each app's tokens, per UTC day; each server adds its counts
every 10 seconds.</p>
<div class="table-wrap"><table><thead><tr><th scope="col">App</th>
<th scope="col">Requests ({DAYS} days)</th><th scope="col">Errors</th>
<th scope="col">Error rate</th><th scope="col">Per day (errors in red)</th></tr></thead>
<tbody>{table}</tbody></table></div>"""
    return page("Usage", html, session=visit.session, current=PATH)


def usage_routes(setup: ConsoleSetup) -> list[Route]:
    return [Route(PATH, console_page(setup, _usage, roles=("admin",)), methods=["GET"])]
