"""How the EXTERNAL portion of a payment is paid: a provider interface, and the built-in
sandbox provider that behaves as wallet providers (Alipay, WeChat Pay) do.

Starting a payment gives the member something to act on (``nextAction``: a QR payload to scan,
or a page to open); the outcome arrives later, as a notification the provider signs and
POSTs to Loopgate (:mod:`schema.payments.notifications`). A refund of the external part is
asked of the provider by refund id, so asking twice refunds once.

The sandbox provider serves sandbox payments always, and live ones only where the operator
allows it (``LOOPGATE_SANDBOX_PROVIDER_LIVE=1``; ``loopgate serve --demo`` sets it): a live
deployment without a real provider refuses a live EXTERNAL portion instead of taking orders it
can never be paid for. Its member is played by ``loopgate sandbox pay PAYMENT_ID [--fail]``.
"""

import os
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

Document = dict[str, Any]
LIVE_ENV = "LOOPGATE_SANDBOX_PROVIDER_LIVE"


@dataclass(frozen=True, slots=True)
class NextAction:
    """What the paying member does next, as ``Payment.nextAction`` shows it."""

    provider: str
    qr_payload: str | None = None
    redirect_url: str | None = None

    def to_document(self) -> Document:
        return {"provider": self.provider, "qrPayload": self.qr_payload,
                "redirectUrl": self.redirect_url}


class Provider(Protocol):
    """A payment provider for EXTERNAL portions."""

    name: str

    def refusal(self, *, sandbox: bool) -> str | None:
        """Why this provider cannot take a payment in this mode now (None: it can)."""

    async def start(self, payment: Document, external_amount: int) -> NextAction:
        """Open the external payment (idempotent by payment id); what the member does next."""

    async def refund(self, payment: Document, refund_id: str, amount: int) -> None:
        """Give ``amount`` of the external portion back (idempotent by refund id); raises
        when the provider refuses."""


class SandboxProvider:
    """Pays nothing real: the member's side is ``loopgate sandbox pay``, refunds always
    succeed at once."""

    name = "sandbox"

    def refusal(self, *, sandbox: bool) -> str | None:
        if sandbox or os.environ.get(LIVE_ENV, "").strip() == "1":
            return None
        return ("this server has no payment provider for live EXTERNAL portions: the sandbox "
                f"provider serves live payments only when the operator sets {LIVE_ENV}=1 "
                "(loopgate serve --demo does); use a sandbox app, or pay with balance "
                "portions")

    async def start(self, payment: Document, external_amount: int) -> NextAction:
        query = urlencode({"amount": external_amount, "currency": payment["currency"]})
        return NextAction(self.name, qr_payload=f"loopgate-sandbox://pay/{payment['_id']}?{query}")

    async def refund(self, payment: Document, refund_id: str, amount: int) -> None:
        return None


PROVIDERS: dict[str, Provider] = {"sandbox": SandboxProvider()}
DEFAULT_PROVIDER = "sandbox"


def provider_named(name: str) -> Provider:
    """The registered provider ``name`` (a payment records the one it started with)."""
    return PROVIDERS[name]
