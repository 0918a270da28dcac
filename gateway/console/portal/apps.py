"""The partner's apps: list, create (scopes, sandbox), rotate a secret, revoke (admins).

A new or rotated secret is shown once, on the page that answers the form (never stored by
the console, never in a URL); reloading the list does not show it again.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from auth.scopes import SCOPES
from gateway.console.guard import console_page
from gateway.console.layout import csrf_field, esc, notice, page
from gateway.console.portal._bars import day_bars
from gateway.console.portal._results import data, first, problems
from gateway.console.visit import ConsoleSetup, Visit
from schema.kernel.principal import ADMIN_SCOPE

PATH = "/console/apps"
ADMINS = ("admin",)
_LIST = """{ apps { id name clientId scopes grantTypes sandbox revoked createdAt
                   usage(days: 7) { date requests errors } } }"""
_CREATE = """mutation($input: CreateAppInput!) { createApp(input: $input) {
  app { id name } clientSecret userErrors { code field message } } }"""
_ROTATE = """mutation($id: ID!) { rotateAppSecret(appId: $id) {
  app { id name } clientSecret userErrors { code field message } } }"""
_REVOKE = """mutation($id: ID!) { revokeApp(appId: $id) {
  app { id name } userErrors { code field message } } }"""


def _row(visit: Visit, app: dict[str, object]) -> str:
    status = ('<span class="badge bad">revoked</span>' if app["revoked"]
              else '<span class="badge good">active</span>')
    sandbox = ' <span class="badge">sandbox</span>' if app["sandbox"] else ""
    actions = "" if app["revoked"] else (
        f'<form class="inline" method="post" action="{PATH}/{esc(app["id"])}/rotate">'
        f'{csrf_field(visit.session)}<button type="submit" class="secondary" '
        f'aria-label="Rotate the secret of {esc(app["name"])}">Rotate secret</button></form> '
        f'<form class="inline" method="post" action="{PATH}/{esc(app["id"])}/revoke" '
        f'data-confirm="Revoke {esc(app["name"])} for good? Its tokens stop working.">'
        f'{csrf_field(visit.session)}<button type="submit" class="danger" '
        f'aria-label="Revoke {esc(app["name"])}">Revoke</button></form>')
    scopes = " ".join(f"<code>{esc(s)}</code>" for s in app["scopes"])  # type: ignore[attr-defined]
    usage = day_bars(app["usage"], f"Requests per day of {app['name']}, last 7 days")  # type: ignore[arg-type]
    return (f'<tr><td><strong>{esc(app["name"])}</strong>{sandbox}<br>'
            f'<code>{esc(app["clientId"])}</code></td><td>{scopes}</td><td>{status}</td>'
            f'<td>{usage}</td><td>{actions}</td></tr>')


async def _scope_choices(visit: Visit) -> list[str]:
    grantable = await visit.setup.auth.clients.grantable_scopes(visit.user.partner_id)
    allowed = set(SCOPES) if grantable is None else set(grantable)
    return [name for name in SCOPES if name in allowed and name != ADMIN_SCOPE]


async def _render(visit: Visit, message: str = "", status: int = 200) -> Response:
    body = await visit.graphql(_LIST)
    apps = data(body, "apps", [])
    errors = problems(body)
    rows = "".join(_row(visit, app) for app in apps) or \
        '<tr><td colspan="5">No apps yet.</td></tr>'
    checks = "".join(f'<label class="check"><input type="checkbox" name="scopes" '
                     f'value="{esc(name)}"> <code>{esc(name)}</code></label>'
                     for name in await _scope_choices(visit))
    html = f"""<h1>Apps</h1>{message}{"".join(notice(e, error=True) for e in errors)}
<div class="table-wrap"><table><caption class="muted">Your partner's OAuth apps; usage is
requests per day (errors in red).</caption>
<thead><tr><th scope="col">App</th><th scope="col">Scopes</th><th scope="col">Status</th>
<th scope="col">Last 7 days</th><th scope="col">Actions</th></tr></thead>
<tbody>{rows}</tbody></table></div>
<h2 id="create">Create an app</h2>
<form method="post" action="{PATH}" aria-labelledby="create">{csrf_field(visit.session)}
<label for="app-name">Name</label>
<input type="text" id="app-name" name="name" required maxlength="100">
<fieldset><legend>Scopes</legend>{checks}</fieldset>
<label class="check"><input type="checkbox" name="sandbox" value="true"> Sandbox app (its
tokens act in the sandbox only)</label>
<p><button type="submit">Create app</button></p></form>"""
    return page("Apps", html, session=visit.session, current=PATH, status=status)


async def _list(visit: Visit) -> Response:
    return await _render(visit, await visit.take_flash())


def _shown_once(name: str) -> str:
    return f"The secret of {name} is shown only this once: copy it now."


async def _create(visit: Visit) -> Response:
    form = await visit.form()
    answer = await visit.graphql(_CREATE, {"input": {
        "name": first(form, "name"), "scopes": form.get("scopes", []),
        "sandbox": first(form, "sandbox") == "true"}})
    errors = problems(answer, "createApp")
    if errors:
        return await _render(visit, "".join(notice(e, error=True) for e in errors), 400)
    created = answer["data"]["createApp"]
    return await visit.flash(_shown_once(created["app"]["name"]),
                             secret=created["clientSecret"], secret_label="New client secret",
                             to=PATH)


async def _rotate(visit: Visit) -> Response:
    answer = await visit.graphql(_ROTATE, {"id": visit.request.path_params["app_id"]})
    errors = problems(answer, "rotateAppSecret")
    if errors:
        return await _render(visit, "".join(notice(e, error=True) for e in errors), 400)
    rotated = answer["data"]["rotateAppSecret"]
    return await visit.flash(_shown_once(rotated["app"]["name"]) + " The previous secret "
                             "keeps working for 24 hours, so your servers can switch over.",
                             secret=rotated["clientSecret"], secret_label="New client secret",
                             to=PATH)


async def _revoke(visit: Visit) -> Response:
    answer = await visit.graphql(_REVOKE, {"id": visit.request.path_params["app_id"]})
    errors = problems(answer, "revokeApp")
    if errors:
        return await _render(visit, "".join(notice(e, error=True) for e in errors), 400)
    name = answer["data"]["revokeApp"]["app"]["name"]
    return await visit.flash(f"{name} is revoked: its tokens stop working within seconds.",
                             to=PATH)


def app_routes(setup: ConsoleSetup) -> list[Route]:
    return [
        Route(PATH, console_page(setup, _list, roles=ADMINS), methods=["GET"]),
        Route(PATH, console_page(setup, _create, roles=ADMINS), methods=["POST"]),
        Route(PATH + "/{app_id}/rotate", console_page(setup, _rotate, roles=ADMINS),
              methods=["POST"]),
        Route(PATH + "/{app_id}/revoke", console_page(setup, _revoke, roles=ADMINS),
              methods=["POST"]),
    ]
