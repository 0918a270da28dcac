"""authlib's request objects built from an already-read Starlette request.

authlib's server core is synchronous and runs in a worker thread, so the body is read on the
event loop first and handed over as plain data. The URI is rebuilt on the configured public
issuer, so a deployment behind a TLS-terminating proxy passes authlib's HTTPS check.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

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


class LoopgateOAuth2Request(OAuth2Request):
    """An ``OAuth2Request`` over plain, already-parsed data."""

    def __init__(self, method: str, uri: str, headers: Mapping[str, str], query: Pairs,
                 form: Pairs) -> None:
        super().__init__(method=method, uri=uri, headers=headers)
        self._args = dict(reversed(query))
        self._form = dict(reversed(form))
        self.payload = FormPayload([*query, *form])

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


async def oauth_request(request: Request, issuer: str, *, drop: Iterable[str] = ()) -> \
        LoopgateOAuth2Request:
    """Read ``request`` (query and url-encoded form) into an authlib request.

    ``drop`` removes the login/consent page's own fields (csrf, decision) from the payload.
    """
    dropped = set(drop)
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in dropped]
    form: Pairs = []
    if request.method == "POST":
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            data = await request.form()
            form = [(k, v) for k, v in data.multi_items()
                    if isinstance(v, str) and k not in dropped]
    uri = issuer.rstrip("/") + request.url.path
    if request.url.query:
        uri += "?" + request.url.query
    return LoopgateOAuth2Request(request.method, uri, request.headers, query, form)
