"""The name a member signs in with: a member name (the demo's ``mia``) or a phone number.

A member registered by a merchant signs in with the phone number they registered with, and
types it as people do (``138 1234 5678``, ``+86 138-1234-5678``); it is stored and looked up
in E.164, normalised by the membership domain's rule, so every way of typing one number
names one login (and one sign-in rate limit).
"""

from schema.kernel.phones import InvalidPhone, normalise_phone


def login_name(typed: str) -> str:
    """``typed`` in E.164 when it is a phone number, else as typed."""
    try:
        return normalise_phone(typed)
    except InvalidPhone:
        return typed
