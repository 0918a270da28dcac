"""The voucher redemption screen: ``/console/stores/{store_id}/redeem`` (the store's staff).

One text field: staff type the code the customer shows, or scan it (a barcode scanner types
into the focused field and presses Enter). The form is a plain POST with the session's CSRF
token and its own idempotency key, so a form sent twice (a double press, a resend) redeems
once and answers the same; the outcome is shown on the page again, the field focused for the
next customer. Refusals say what happened in words (already redeemed, expired, not valid at
this store, …) as well as the contract's code.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from gateway.console.guard import console_page
from gateway.console.layout import csrf_field, esc, notice
from gateway.console.merchant.cards import new_key
from gateway.console.merchant.format import money
from gateway.console.merchant.pages import merchant_page
from gateway.console.portal._results import data, first
from gateway.console.visit import ConsoleSetup, Visit

PATH = "/console/stores/{store_id}/redeem"
ROLES = ("staff",)
MAX_CODE = 64
STORE = "query($id: ID!) { store(id: $id) { id code name } }"
REDEEM = """mutation($input: RedeemVoucherInput!) { redeemVoucher(input: $input) {
  voucher { id redeemedAt deal { title faceValue { amount currency } } }
  userErrors { code message } } }"""
REFUSALS = {
    "VOUCHER_ALREADY_REDEEMED": "Already redeemed — do not accept it again",
    "VOUCHER_EXPIRED": "Expired — this voucher can no longer be used",
    "VOUCHER_NOT_VALID_AT_STORE": "Not valid at this store — its deal names other stores",
    "VOUCHER_NOT_YET_VALID": "Not valid yet — its deal has not started",
    "VOUCHER_REFUNDED": "Refunded — the customer got their money back",
    "NOT_FOUND": "No voucher with that code — check it and try again",
    "INVALID": "That is not a voucher code",
    "IDEMPOTENCY_KEY_REUSED": "This form was already used for another code — try again",
}


def redeem_path(store_id: str) -> str:
    return PATH.replace("{store_id}", store_id)


def _tail(code: str) -> str:
    """The end of a code, enough for staff to tell which one they typed."""
    kept = "".join(c for c in code if c.isalnum())[-4:].upper()
    return f"…{kept}" if kept else "(empty)"


async def _screen(visit: Visit) -> Response:
    store_id = visit.request.path_params["store_id"]
    store = data(await visit.graphql(STORE, {"id": store_id}), "store")
    if store is None:
        html = f"<h1>Redeem a voucher</h1>{notice('No such store of your partner.', error=True)}"
        return merchant_page(visit, "Redeem a voucher", html, status=404)
    html = f"""<h1>Redeem a voucher · {esc(store["name"])} ({esc(store["code"])})</h1>
<div id="redeem-result">{await visit.take_flash()}</div>
<form method="post" action="{esc(redeem_path(store_id))}" class="redeem" autocomplete="off">
{csrf_field(visit.session)}<input type="hidden" name="key" value="{esc(new_key())}">
<label for="code">Voucher code</label>
<p id="code-help" class="muted">Type the code the customer shows, or scan it: a barcode
scanner types into this field and presses Enter.</p>
<input type="text" id="code" name="code" required autofocus maxlength="{MAX_CODE}"
 autocomplete="off" autocapitalize="characters" spellcheck="false"
 aria-describedby="code-help">
<p><button type="submit">Redeem</button></p>
</form>"""
    return merchant_page(visit, "Redeem a voucher", html)


def _redeemed(voucher: dict[str, Any]) -> str:
    deal = voucher.get("deal") or {}
    return (f"Redeemed: {deal.get('title', 'voucher')} (worth "
            f"{money(deal.get('faceValue'))}), voucher {voucher['id']}. Hand it over.")


async def _redeem(visit: Visit) -> Response:
    store_id = visit.request.path_params["store_id"]
    here = redeem_path(store_id)
    form = await visit.form()
    code, key = first(form, "code"), first(form, "key")
    if not code or len(code) > MAX_CODE or not key:
        return await visit.flash(f"Not redeemed — type or scan a code of at most {MAX_CODE} "
                                 "characters.", error=True, to=here)
    body = await visit.graphql(REDEEM, {"input": {"code": code, "storeId": store_id,
                                                  "idempotencyKey": key}})
    payload = data(body, "redeemVoucher") or {}
    errors = payload.get("userErrors") or [{"code": "ERROR", "message": e.get("message", "")}
                                           for e in body.get("errors") or ()]
    if errors:
        error = errors[0]
        headline = REFUSALS.get(error["code"], "Not redeemed")
        return await visit.flash(f"Not redeemed: {headline}. Loopgate says: {error['message']} "
                                 f"(code {_tail(code)}, {error['code']}).", error=True, to=here)
    if not payload.get("voucher"):
        return await visit.flash("Not redeemed: the answer named no voucher; try again.",
                                 error=True, to=here)
    return await visit.flash(_redeemed(payload["voucher"]), to=here)


def redeem_routes(setup: ConsoleSetup) -> list[Route]:
    return [Route(PATH, console_page(setup, _screen, roles=ROLES, store_param="store_id"),
                  methods=["GET"]),
            Route(PATH, console_page(setup, _redeem, roles=ROLES, store_param="store_id"),
                  methods=["POST"])]
