"""What every answer of ``/graphql`` must look like, whatever was sent.

A server error (5xx) is allowed only for the documented reasons: ``GATEWAY_TIMEOUT`` (504)
when an operation outruns its time budget and ``SERVICE_UNAVAILABLE`` (503) while the process
shuts down. Otherwise the body is a GraphQL response (``data`` and/or ``errors``, optional
``extensions``), each error has a message and an ``extensions.code``, and no message leaks a
Python traceback.
"""

from typing import Any

import httpx
import orjson

DOCUMENTED_5XX = {503: "SERVICE_UNAVAILABLE", 504: "GATEWAY_TIMEOUT"}
_LEAKS = ("Traceback", 'File "')


def graphql_shaped(reply: httpx.Response, sent: object = "") -> dict[str, Any]:
    """The decoded body, after asserting every property above; returns it for more checks.

    ``sent`` (the document or variables) is quoted in a failure: the property tests run
    quietly, since Hypothesis takes minutes to pretty-print a large generated document."""
    text = f"{reply.text}\n--- for ---\n{str(sent)[:3000]}"
    assert not any(leak in reply.text for leak in _LEAKS), text
    assert reply.headers["content-type"].split(";")[0] in (
        "application/graphql-response+json", "application/json"), reply.headers
    body = orjson.loads(reply.content)
    assert isinstance(body, dict), text
    assert set(body) <= {"data", "errors", "extensions"} and body.keys() & {"data", "errors"}, \
        text
    errors = body.get("errors", [])
    assert isinstance(errors, list) and ("errors" not in body or errors), text
    codes = []
    for error in errors:
        assert isinstance(error.get("message"), str), error
        code = (error.get("extensions") or {}).get("code")
        assert isinstance(code, str) and code, error
        codes.append(code)
    if reply.status_code >= 500:
        assert DOCUMENTED_5XX.get(reply.status_code) in codes, (reply.status_code, text)
    if "data" in body:
        assert body["data"] is None or isinstance(body["data"], dict), text
    return body


def codes_of(body: dict[str, Any]) -> set[str]:
    return {error["extensions"]["code"] for error in body.get("errors", [])}
