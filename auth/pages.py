"""The member-facing HTML pages: sign in, set a password with a sign-in code, consent, and the
list of apps holding consent.

Rendered from ``layout.html`` (package data) with :class:`string.Template`; every value is
HTML-escaped here, so nothing a client sends (app name, state) can inject markup.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from html import escape
from importlib.resources import files
from string import Template
from urllib.parse import urlencode

from starlette.responses import HTMLResponse

from auth.metadata import (
    AUTHORIZE_PATH,
    CONSENTS_PATH,
    CONSOLE_LOGIN_PATH,
    LOGIN_PATH,
    SET_PASSWORD_PATH,
)
from auth.scopes import describe


@cache
def _layout() -> Template:
    return Template(files("auth").joinpath("layout.html").read_text("utf-8"))


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = _layout().substitute(title=escape(title), body=body)
    return HTMLResponse(html, status_code=status, headers={
        "Cache-Control": "no-store", "X-Frame-Options": "DENY",
        # no form-action: the consent form's answer redirects to the app's own origin
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                   "frame-ancestors 'none'"})


def _hidden(fields: Iterable[tuple[str, str]]) -> str:
    return "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
                   for k, v in fields)


def _message(error: str | None, notice: str | None) -> str:
    if error:
        return f'<p class="error">{escape(error)}</p>'
    return f'<p class="notice">{escape(notice)}</p>' if notice else ""


def _field(name: str, label: str, kind: str = "text", value: str = "",
           extra: str = "") -> str:
    """A labelled, required input; ``extra`` holds further attributes (constants only)."""
    shown = f' value="{escape(value)}"' if value else ""
    return (f'<label for="{name}">{escape(label)}</label><input type="{kind}" id="{name}" '
            f'name="{name}"{shown}{extra} required>')


def login_page(next_url: str, error: str | None = None, status: int | None = None, *,
               notice: str | None = None, username: str = "") -> HTMLResponse:
    """The sign-in form; with an ``error``, shown above it (status 401 unless given)."""
    set_password = f"{SET_PASSWORD_PATH}?{urlencode({'next': next_url})}"
    body = f"""<h1>Sign in to Loopgate</h1>{_message(error, notice)}
<form method="post" action="{LOGIN_PATH}">{_hidden([("next", next_url)])}
{_field("username", "Member name or phone number", value=username)}
{_field("password", "Password", "password")}
<button type="submit">Sign in</button></form>
<p>First time here? <a href="{escape(set_password)}">Set your password with your sign-in
code</a>.</p>"""
    return _page("Sign in", body, status or (401 if error else 200))


def console_login_page(next_url: str, error: str | None = None, status: int | None = None,
                       *, email: str = "") -> HTMLResponse:
    """The console's sign-in form (console users, by email); 401 with an ``error``."""
    body = f"""<h1>Sign in to the Loopgate console</h1>{_message(error, None)}
<form method="post" action="{CONSOLE_LOGIN_PATH}">{_hidden([("next", next_url)])}
{_field("email", "Email", "email", value=email, extra=' autocomplete="username"')}
{_field("password", "Password", "password", extra=' autocomplete="current-password"')}
<button type="submit">Sign in</button></form>
<p>Partner members sign in to apps with their member name instead; console accounts are
created by your partner's admin.</p>"""
    return _page("Console sign-in", body, status or (401 if error else 200))


def set_password_page(next_url: str, csrf: str, error: str | None = None,
                      status: int | None = None, phone: str = "") -> HTMLResponse:
    """The form that turns a one-time sign-in code into a password (status 400 on an error
    unless given)."""
    body = f"""<h1>Set your password</h1>{_message(error, None)}
<p>Enter the phone number you registered with, the sign-in code you were given, and a new
password of at least 8 characters.</p>
<form method="post" action="{SET_PASSWORD_PATH}">{_hidden([("next", next_url), ("csrf", csrf)])}
{_field("phone", "Phone number", value=phone, extra=' autocomplete="tel"')}
{_field("code", "Sign-in code", extra=' inputmode="numeric" autocomplete="one-time-code"')}
{_field("password", "New password", "password",
        extra=' minlength="8" autocomplete="new-password"')}
<button type="submit">Set password</button></form>"""
    return _page("Set your password", body, status or (400 if error else 200))


def _wait_in_words(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def too_many_attempts(retry_after: int) -> str:
    """The words of a 429: the same whether or not the member exists."""
    return (f"Too many failed sign-in attempts. For your security, please wait "
            f"{_wait_in_words(retry_after)} before trying again.")


def too_many_sign_ins_page(next_url: str, retry_after: int) -> HTMLResponse:
    """429 after too many failed sign-ins; the same words whether or not the member exists."""
    response = login_page(next_url, status=429, error=too_many_attempts(retry_after))
    response.headers["Retry-After"] = str(retry_after)
    return response


def consent_page(app_name: str, scopes: Iterable[str], params: Iterable[tuple[str, str]],
                 csrf: str) -> HTMLResponse:
    items = "".join(f"<li>{escape(text)} <code>{escape(name)}</code></li>"
                    for name, text in describe(scopes))
    body = f"""<h1>{escape(app_name)} would like to</h1>
<ul class="scopes">{items}</ul>
<p>You can withdraw this at any time under <a href="{CONSENTS_PATH}">your connected apps</a>.</p>
<form method="post" action="{AUTHORIZE_PATH}">{_hidden([*params, ("csrf", csrf)])}
<button type="submit" name="decision" value="approve">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button></form>"""
    return _page("Allow access", body)


def consents_page(apps: Iterable[tuple[str, str, Iterable[str]]], csrf: str) -> HTMLResponse:
    """``apps`` holds (client id, app name, scopes) for each app the member has consented to."""
    rows = "".join(
        f"""<li><strong>{escape(name)}</strong><ul>{"".join(
            f"<li>{escape(text)}</li>" for _, text in describe(scopes))}</ul>
<form method="post" action="{CONSENTS_PATH}/revoke">{_hidden([("client_id", client_id),
                                                                 ("csrf", csrf)])}
<button type="submit">Disconnect</button></form></li>"""
        for client_id, name, scopes in apps)
    body = f"<h1>Your connected apps</h1><ul>{rows or '<li>No apps are connected.</li>'}</ul>"
    return _page("Connected apps", body)


def error_page(error: str, description: str, status: int = 400) -> HTMLResponse:
    body = f"<h1>This request cannot be completed</h1><p><code>{escape(error)}</code></p>" \
           f"<p>{escape(description)}</p>"
    return _page("Error", body, status)
