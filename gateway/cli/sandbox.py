"""``loopgate sandbox pay PAYMENT_ID [--fail]``: play the member's wallet app for the sandbox
payment provider.

The command signs the provider's notification with the sandbox provider secret, which it
reads from the database the server uses (the server generates it on first use; whoever comes
first does), and POSTs it to the running server's ``/payments/notifications/sandbox``. The
server is found as the other commands find it: ``LOOPGATE_ISSUER``, else
``http://LOOPGATE_HOST:LOOPGATE_PORT``, with ``--issuer``/``--host``/``--port`` laid over them.
Prints the payment's status afterwards; a refusal (unknown payment, not waiting for payment)
is an error with the server's message.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import aiohttp
import orjson
from pymongo.asynchronous.database import AsyncDatabase

from gateway.cli._console import CliError, console_err
from gateway.cli._database import add_settings_arguments, settings_from, with_database
from schema.kernel.ids import new_id
from schema.payments.notifications import (
    SIGNATURE_HEADER,
    notification_body,
    provider_secret,
    sign,
)

PROVIDER = "sandbox"
TIMEOUT_S = 30.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("sandbox", help="play the sandbox payment provider")
    commands = parser.add_subparsers(dest="sandbox_command", required=True, metavar="COMMAND")
    pay = commands.add_parser("pay", help="pay (or fail) a payment waiting for its external "
                              "portion, as the member's wallet would")
    pay.add_argument("payment_id", metavar="PAYMENT_ID", help="the payment (pay_…)")
    pay.add_argument("--fail", action="store_true", help="report a failed payment instead")
    pay.add_argument("--host", help="host the server listens on (default $LOOPGATE_HOST)")
    pay.add_argument("--port", type=int, help="port the server listens on "
                     "(default $LOOPGATE_PORT)")
    pay.add_argument("--issuer", help="the server's public base URL (default "
                     "$LOOPGATE_ISSUER); overrides --host/--port")
    add_settings_arguments(pay)
    pay.set_defaults(run=run)


async def _send(url: str, body: bytes, signature: str) -> tuple[int, str]:
    headers = {"content-type": "application/json", SIGNATURE_HEADER: signature}
    async with (aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_S)) as http,
                http.post(url, data=body, headers=headers) as answer):
        return answer.status, await answer.text(errors="replace")


def _post(url: str, body: bytes, signature: str) -> tuple[int, str]:
    """The server's status and body text (the command is synchronous: one loop per post)."""
    try:
        return asyncio.run(_send(url, body, signature))
    except (aiohttp.ClientError, TimeoutError) as exc:
        reason = str(exc) or type(exc).__name__
        raise CliError(f"no Loopgate server answers at {url} ({reason}); start one with "
                       "loopgate serve, or pass its --host/--port (or --issuer)") from exc


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    url = settings.public_issuer.rstrip("/") + f"/payments/notifications/{PROVIDER}"

    async def secret(db: AsyncDatabase) -> bytes:
        return await provider_secret(db, PROVIDER)

    key = with_database(args, secret)
    outcome = "FAILED" if args.fail else "SUCCEEDED"
    body = notification_body(new_id("evt"), args.payment_id, outcome, int(time.time()))
    status, text = _post(url, body, sign(key, body))
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    if status != 200:
        raise CliError(f"the server refused the notification ({status} "
                       f"{data.get('error', '')}): {data.get('message', text)}")
    print(f"{data['paymentId']} {data['status']}")
    console_err.print(f"sent a {outcome} notification to {url}", highlight=False)
    return 0
