"""The frame of a merchant page: the console's layout plus the merchant stylesheet."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.responses import HTMLResponse

from gateway.console.assets import asset_url
from gateway.console.layout import esc, page
from gateway.console.visit import Visit


def merchant_page(visit: Visit, title: str, body: str, *, status: int = 200,
                  current: str = "", scripts: Iterable[str] = ()) -> HTMLResponse:
    head = f'\n<link rel="stylesheet" href="{esc(asset_url("merchant.css"))}">'
    return page(title, body, session=visit.session, current=current, status=status,
                scripts=scripts, head=head)
