"""authlib's request objects built from an already-read Starlette request.

authlib's server core is synchronous and runs in a worker thread, so the body is read on the
event loop first and handed over as plain data. The URI is rebuilt on the configured public
issuer, so a deployment behind a TLS-terminating proxy passes authlib's HTTPS check.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl

from authlib.oauth2.rfc6749 import OAuth2Payload, OAuth2Request
from starlette.requests import Request

Pairs = list[tuple[str, str]]


class FormPayload(OAuth2Payload):
    """Query and form parameters together, first value wins, every value kept for checks."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in pairs:
            self._datalist[key].append(value)
        self._data = {key: values[0] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


_VSCHAR = re.compile(r"^[\x20-\x7e]*$")
_UNDESCRIBABLE = re.compile(r'[^\x20-\x21\x23-\x5b\x5d-\x7e]')
_DESCRIBABLE = re.compile(r'^[\x20-\x21\x23-\x5b\x5d-\x7e]*$')
_ECHOED = frozenset({"grant_type", "response_type", "redirect_uri"})


class LoopgateOAuth2Request(OAuth2Request):
    """An ``OAuth2Request`` over plain, already-parsed data."""

    def __init__(self, method: str, uri: str, headers: Mapping[str, str], query: Pairs,
                 form: Pairs) -> None:
        # authlib's own __init__ refuses plain-HTTP URIs per request; transport security is
        # a deployment matter here (TLS ends at a proxy), checked once on the issuer at
        # start-up (AuthService.create), so the same attributes are set without that check.
        self.method = method
        self.uri = uri
        self.headers = headers
        self._body = None
        self.client = None
        self.auth_method = None
        self.user = None
        self.authorization_code = None
        self.refresh_token = None
        self.credential = None
        self._scope = None
        self._args = dict(reversed(query))
        self._form = dict(reversed(form))
        self.payload = FormPayload([*query, *form])

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form

    def unprintable_parameter(self) -> str | None:
        """The first parameter outside RFC 6749's printable-ASCII syntax (Appendix A), if any.

        Checked before authlib sees the request: it echoes grant_type, response_type and
        redirect_uri into error descriptions and cannot build those with ``"`` or ``\\``.
        """
        for key, values in self.payload.datalist.items():
            syntax = _DESCRIBABLE if key in _ECHOED else _VSCHAR
            if not _VSCHAR.match(key) or not all(syntax.match(v) for v in values):
                return describable(key)
        return None


def describable(text: str) -> str:
    """``text`` reduced to the characters an OAuth ``error_description`` may hold."""
    return _UNDESCRIBABLE.sub("?", text)[:64]


class MalformedForm(ValueError):
    """A body that is not valid UTF-8 ``application/x-www-form-urlencoded``."""


async def read_form(request: Request) -> Pairs:
    """The url-encoded body of a POST, as pairs; other content types read as empty.

    Parsed here rather than with ``request.form()`` (which needs python-multipart) because
    OAuth only ever sends url-encoded forms (RFC 6749 §4.1.3, §4.4.2).
    """
    if request.method != "POST":
        return []
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return []
    body = await request.body()
    try:
        return parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False,
                         max_num_fields=200)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedForm("the body is not a valid url-encoded form") from exc


async def oauth_request(request: Request, issuer: str, *, drop: Iterable[str] = ()) -> \
        LoopgateOAuth2Request:
    """Read ``request`` (query and url-encoded form) into an authlib request.

    ``drop`` removes the login/consent page's own fields (csrf, decision) from the payload.
    """
    dropped = set(drop)
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in dropped]
    form = [(k, v) for k, v in await read_form(request) if k not in dropped]
    uri = issuer.rstrip("/") + request.url.path
    if request.url.query:
        uri += "?" + request.url.query
    return LoopgateOAuth2Request(request.method, uri, request.headers, query, form)
