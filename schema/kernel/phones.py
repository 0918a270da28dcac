"""Phone numbers: E.164 everywhere inside Loopgate, masked at the edges.

A phone identifies a member platform-wide and is what a member signs in with, so two
spellings of one number must be one key: every phone is normalised before it is stored or
looked up (by membership, and by auth's sign-in pages, hence here in the kernel). Numbers
without a country code are read as mainland China's (the platform's home market): an 11-digit
mobile number ``1[3-9]…`` becomes ``+86…``. Anything else must already carry ``+`` and a
country code.
"""

import re

_SEPARATORS = re.compile(r"[\s\-().]")
_CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class InvalidPhone(ValueError):
    """Not a phone number Loopgate can use."""


def normalise_phone(raw: str) -> str:
    """``raw`` in E.164 (``+8613800000000``), or :class:`InvalidPhone`."""
    if not isinstance(raw, str):
        raise InvalidPhone("a phone number must be a string")
    compact = _SEPARATORS.sub("", raw.strip())
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if _CN_MOBILE.match(compact):
        compact = "+86" + compact
    if compact.startswith("+86") and not _CN_MOBILE.match(compact[3:]):
        raise InvalidPhone(f"{raw!r} is not a mainland China mobile number (+86 1xx xxxx xxxx)")
    if not _E164.match(compact):
        raise InvalidPhone(f"{raw!r} is not a phone number: send an 11-digit mainland China "
                           "mobile number or +<country code><number>")
    return compact


def mask_phone(phone_e164: str) -> str:
    """What partners see of a phone: for +86 the country code, the first three and the last
    four digits (``+86 138****0000``); elsewhere (country codes vary in length) the first
    three digits and the last four (``+141****0123``)."""
    if phone_e164.startswith("+86"):
        national = phone_e164[3:]
        return f"+86 {national[:3]}{'*' * (len(national) - 7)}{national[-4:]}"
    return f"{phone_e164[:4]}{'*' * max(0, len(phone_e164) - 8)}{phone_e164[-4:]}"
