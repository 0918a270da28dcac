"""The partner's console accounts (admins only): add a person with a role (staff bound to
store codes of the partner), shown a one-time password; remove a person, which also revokes
every console token they hold (their open sessions end at their next request).

Accounts are auth's (:mod:`auth.console_users`), not part of the GraphQL API, so this page
reads and writes them directly, always for the signed-in admin's own partner.
"""

from __future__ import annotations

import re

from starlette.responses import Response
from starlette.routing import Route

from auth.console_client import CONSOLE_CLIENT_ID
from auth.console_users import ROLES, ConsoleUserError, new_password
from gateway.console.guard import Endpoint, Handler, console_page
from gateway.console.layout import csrf_field, esc, notice, page
from gateway.console.portal._results import first
from gateway.console.visit import ConsoleSetup, Visit
from schema.stores.read import get_store, store_id_for_code

PATH = "/console/team"


async def resolve_store_codes(visit: Visit, text: str) -> list[str]:
    """The ids of the partner's stores named by code in ``text`` (comma or space separated);
    a code that is not one of them is a :class:`ConsoleUserError` naming it."""
    db = visit.setup.auth.db
    found = []
    for code in dict.fromkeys(c for c in re.split(r"[\s,]+", text) if c):
        store_id = await store_id_for_code(db, visit.user.partner_id, code)
        store = None if store_id is None else await get_store(db, store_id)
        if store is None or store.get("partnerId") != visit.user.partner_id:
            raise ConsoleUserError(f"your partner has no store with code {code!r}")
        found.append(store_id)
    return found


async def _store_code(visit: Visit, store_id: str) -> str:
    store = await get_store(visit.setup.auth.db, store_id)
    return str(store.get("code", store_id)) if store else store_id


async def _render(visit: Visit, message: str = "", status: int = 200) -> Response:
    users = await visit.setup.auth.console_users.list_for_partner(visit.user.partner_id)
    rows = []
    for user in users:
        remove = "<span class=\"muted\">you</span>" if user.id == visit.user.user_id else (
            f'<form class="inline" method="post" action="{PATH}/{esc(user.id)}/remove" '
            f'data-confirm="Remove {esc(user.email)}? Their sessions end at once.">'
            f'{csrf_field(visit.session)}<button type="submit" class="danger" '
            f'aria-label="Remove {esc(user.email)}">Remove</button></form>')
        stores = " ".join([f"<code>{esc(await _store_code(visit, s))}</code>"
                           for s in user.store_ids]) or "all"
        rows.append(f"<tr><td>{esc(user.email)}</td><td>{esc(user.role)}</td>"
                    f"<td>{stores}</td><td>{remove}</td></tr>")
    options = "".join(f'<option value="{esc(role)}">{esc(role)}</option>' for role in ROLES)
    html = f"""<h1>Team</h1>{message}
<div class="table-wrap"><table><thead><tr><th scope="col">Email</th><th scope="col">Role</th>
<th scope="col">Stores</th><th scope="col">Actions</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table></div>
<h2 id="add">Add a person</h2>
<form method="post" action="{PATH}" aria-labelledby="add">{csrf_field(visit.session)}
<label for="member-email">Email</label>
<input type="email" id="member-email" name="email" required autocomplete="off">
<label for="member-role">Role</label><select id="member-role" name="role">{options}</select>
<label for="member-stores">Store codes (store staff only; comma separated)</label>
<input type="text" id="member-stores" name="stores" aria-describedby="stores-help">
<p id="stores-help" class="muted">Staff see and act at these stores only.</p>
<p><button type="submit">Add person</button></p></form>"""
    return page("Team", html, session=visit.session, current=PATH, status=status)


async def _list(visit: Visit) -> Response:
    return await _render(visit, await visit.take_flash())


async def _add(visit: Visit) -> Response:
    form = await visit.form()
    password = new_password()
    try:
        stores = await resolve_store_codes(visit, first(form, "stores"))
        user = await visit.setup.auth.console_users.create(
            partner_id=visit.user.partner_id, email=first(form, "email"),
            role=first(form, "role"), password=password, store_ids=stores,
            created_by=visit.user.user_id)
    except ConsoleUserError as exc:
        return await _render(visit, notice(str(exc), error=True), 400)
    return await visit.flash(f"{user.email} can now sign in as {user.role} with this "
                             "password, shown only this once:", secret=password,
                             secret_label="One-time password", to=PATH)


async def _remove(visit: Visit) -> Response:
    auth = visit.setup.auth
    user_id = visit.request.path_params["user_id"]
    user = await auth.console_users.get(user_id)
    if user is None or user.partner_id != visit.user.partner_id:
        return await _render(visit, notice("No such person in your team.", error=True), 404)
    if user.id == visit.user.user_id:
        return await _render(visit, notice("You cannot remove yourself.", error=True), 400)
    await auth.console_users.remove(user.id)
    await auth.refresh_tokens.revoke_member_client(user.id, CONSOLE_CLIENT_ID)
    return await visit.flash(f"{user.email} is removed; their sessions end now.", to=PATH)


def team_routes(setup: ConsoleSetup) -> list[Route]:
    def guarded(handler: Handler) -> Endpoint:
        return console_page(setup, handler, roles=("admin",))

    return [Route(PATH, guarded(_list), methods=["GET"]),
            Route(PATH, guarded(_add), methods=["POST"]),
            Route(PATH + "/{user_id}/remove", guarded(_remove), methods=["POST"])]
