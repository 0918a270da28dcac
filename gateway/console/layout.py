"""The console's page frame: one HTML layout every console page is rendered into.

Pages are built as strings in Python, the way the OAuth pages are (:mod:`auth.pages`): every
value that did not come from this code goes through :func:`esc`. The frame gives each page
``lang``, a skip link, a labelled main navigation (entries by role), the signed-in person and a
sign-out form, and headers that keep it out of frames and caches. Scripts load from Loopgate
only (``script-src 'self'``, no inline script); a page that needs data in its script puts it in
``data-`` attributes, and a signed-in page carries the session's CSRF token in
``<meta name="csrf-token">`` for scripts calling ``/console/graphql`` or ``/console/stream``.

Other console packages add their navigation entries with :func:`add_nav`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

from starlette.responses import HTMLResponse

from gateway.console.assets import asset_url
from gateway.console.sessions import ConsoleSession, Flash

CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
           "Content-Security-Policy": CSP}
SIGN_OUT_PATH = "/console/signout"


def esc(value: object) -> str:
    """HTML-escape any value for text or a quoted attribute."""
    return escape(str(value), quote=True)


@dataclass(frozen=True, slots=True)
class NavItem:
    path: str
    label: str
    roles: frozenset[str]


NAV: list[NavItem] = [
    NavItem("/console", "Overview", frozenset({"admin", "developer", "staff"})),
    NavItem("/console/apps", "Apps", frozenset({"admin"})),
    NavItem("/console/webhooks", "Webhooks", frozenset({"admin", "developer"})),
    NavItem("/console/subgraphs", "Subgraphs", frozenset({"admin", "developer"})),
    NavItem("/console/usage", "Usage", frozenset({"admin"})),
    NavItem("/console/graphiql", "GraphiQL", frozenset({"admin", "developer"})),
    NavItem("/console/schema", "Schema", frozenset({"admin", "developer"})),
    NavItem("/console/team", "Team", frozenset({"admin"})),
]


def add_nav(path: str, label: str, roles: Iterable[str]) -> None:
    """Add a navigation entry (once per path) for the given roles."""
    if all(item.path != path for item in NAV):
        NAV.append(NavItem(path, label, frozenset(roles)))


def csrf_field(session: ConsoleSession) -> str:
    """The hidden field every console form carries (:mod:`gateway.console.csrf`)."""
    return f'<input type="hidden" name="csrf" value="{esc(session.csrf)}">'


def _nav(session: ConsoleSession | None, current: str) -> str:
    if session is None or session.user is None:
        return ""
    role = session.user.role
    current_mark = ' aria-current="page"'
    items = "".join(
        f'<li><a href="{esc(item.path)}"{current_mark if item.path == current else ""}>'
        f'{esc(item.label)}</a></li>'
        for item in NAV if role in item.roles)
    who = (f'<div class="who"><span>{esc(session.user.email)} · {esc(role)}</span>'
           f'<form class="inline" method="post" action="{SIGN_OUT_PATH}">{csrf_field(session)}'
           f'<button type="submit" class="secondary">Sign out</button></form></div>')
    return f'<nav class="main" aria-label="Console"><ul>{items}</ul></nav>{who}'


def page(title: str, body: str, *, session: ConsoleSession | None = None, current: str = "",
         status: int = 200, scripts: Iterable[str] = (), head: str = "") -> HTMLResponse:
    """A full console page; ``body`` is trusted HTML built with :func:`esc`; ``scripts`` are
    names of console static files or absolute paths served by Loopgate."""
    tags = "".join(f'<script src="{esc(s if s.startswith("/") else asset_url(s))}" defer>'
                   f'</script>' for s in ("console.js", *scripts))
    if session is not None and session.signed_in:
        head = f'\n<meta name="csrf-token" content="{esc(session.csrf)}">{head}'
    html = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} · Loopgate console</title>
<link rel="stylesheet" href="{esc(asset_url("console.css"))}">{head}{tags}
</head>
<body>
<a class="skip" href="#content">Skip to content</a>
<header class="top"><a class="brand" href="/console">Loopgate console</a>{_nav(session, current)}
</header>
<main id="content" tabindex="-1">
{body}
</main>
</body>
</html>"""
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def message_page(title: str, message: str, *, session: ConsoleSession | None = None,
                 status: int = 200, link: tuple[str, str] | None = None) -> HTMLResponse:
    """A page that only says something (an error, a refusal), with an optional way on."""
    more = f'<p><a href="{esc(link[0])}">{esc(link[1])}</a></p>' if link else ""
    return page(title, f'<h1>{esc(title)}</h1><p role="alert">{esc(message)}</p>{more}',
                session=session, status=status)


def forbidden_page(message: str, session: ConsoleSession | None = None) -> HTMLResponse:
    """403 with a plain sentence of what is not allowed."""
    return message_page("Not allowed", message, session=session, status=403,
                        link=("/console", "Back to the console"))


def notice(text: str, *, error: bool = False) -> str:
    kind = "error" if error else "notice"
    return f'<p class="{kind}" role="{"alert" if error else "status"}">{esc(text)}</p>'


def flash_html(flash: Flash) -> str:
    """A kept message; a secret in it is shown in a box of its own, to copy."""
    if flash.secret is None:
        return notice(flash.text, error=flash.error)
    return (f'<div class="notice" role="status"><p>{esc(flash.text)}</p>'
            f'<output class="secret" id="new-secret" aria-label="{esc(flash.secret_label)}">'
            f'{esc(flash.secret)}</output></div>')
