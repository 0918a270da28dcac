"""Every malformed OAuth request gets its RFC 6749 error code, never a 500."""

import base64

import httpx
import pytest

from tests.auth._browser import query_of
from tests.auth.fixtures import REDIRECT_URI, AuthServer


async def _post(server: AuthServer, path: str, **kwargs: object) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.post(server.url(path), **kwargs)


@pytest.fixture
async def app_client(auth_server: AuthServer):
    return await auth_server.register("stores:read orders:read")


def _basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


@pytest.mark.parametrize(("form", "auth", "status", "error"), [
    ({}, "good", 400, "invalid_request"),
    ({"grant_type": "password", "username": "a", "password": "b"}, "good", 400,
     "unsupported_grant_type"),
    ({"grant_type": "urn:ietf:params:oauth:grant-type:device_code"}, "good", 400,
     "unsupported_grant_type"),
    ({"grant_type": "client_credentials"}, "bad-secret", 401, "invalid_client"),
    ({"grant_type": "client_credentials"}, "unknown-client", 401, "invalid_client"),
    ({"grant_type": "client_credentials"}, "none", 401, "invalid_client"),
    ({"grant_type": "client_credentials", "scope": "stores:read bogus:scope"}, "good", 400,
     "invalid_scope"),
    ({"grant_type": "client_credentials", "scope": "payments:write"}, "good", 400,
     "invalid_scope"),
    ({"grant_type": "authorization_code", "code": "abc", "code_verifier": "x" * 43},
     "good", 400, "unauthorized_client"),
    ({"grant_type": "refresh_token", "refresh_token": "abc"}, "good", 400,
     "unauthorized_client"),
], ids=["no-grant", "password", "device", "bad-secret", "unknown-client", "no-auth",
        "unknown-scope", "unregistered-scope", "code-not-allowed", "refresh-not-allowed"])
async def test_token_endpoint_error_codes(auth_server: AuthServer, app_client, form: dict,
                                          auth: str, status: int, error: str) -> None:
    client_id = app_client.client.client_id
    headers = {"good": _basic(client_id, app_client.client_secret),
               "bad-secret": _basic(client_id, "wrong"),
               "unknown-client": _basic("app_01JUNKNOWN0000000000000000", "x"),
               "none": {}}[auth]
    response = await _post(auth_server, "/oauth/token", data=form, headers=headers)
    assert (response.status_code, response.json()["error"]) == (status, error)


async def test_grant_errors_for_an_authorization_code_client(auth_server: AuthServer) -> None:
    issued = await auth_server.register("points:read", grants=("authorization_code",
                                                               "refresh_token"),
                                        redirect_uris=(REDIRECT_URI,))
    headers = _basic(issued.client.client_id, issued.client_secret)
    cases = [
        ({"grant_type": "authorization_code", "code": "forged", "code_verifier": "x" * 43,
          "redirect_uri": REDIRECT_URI}, "invalid_grant"),
        ({"grant_type": "authorization_code"}, "invalid_request"),
        ({"grant_type": "refresh_token", "refresh_token": "forged"}, "invalid_grant"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
        ({"grant_type": "client_credentials"}, "unauthorized_client"),
    ]
    for form, error in cases:
        response = await _post(auth_server, "/oauth/token", data=form, headers=headers)
        assert (response.status_code, response.json()["error"]) == (400, error), form


@pytest.mark.parametrize("request_kwargs", [
    {"content": b"grant_type=client_credentials&grant_type=client_credentials",
     "headers": {"content-type": "application/x-www-form-urlencoded"}},
    {"content": b"\xff\xfe\x00grant_type", "headers": {
        "content-type": "application/x-www-form-urlencoded"}},
    {"json": {"grant_type": "client_credentials"}},
    {"content": b"grant_type=client_credentials", "headers": {
        "content-type": "application/x-www-form-urlencoded",
        "authorization": "Basic %%%not-base64%%%"}},
    {"content": b"grant_type=client_credentials", "headers": {
        "content-type": "application/x-www-form-urlencoded", "authorization": "Basic"}},
    {"content": b"grant_type=client_credentials", "headers": {
        "content-type": "application/x-www-form-urlencoded",
        "authorization": "Basic " + base64.b64encode(b"\xff\xfe:\x00").decode()}},
    {"content": b"%%%===&&&", "headers": {"content-type": "application/x-www-form-urlencoded"}},
], ids=["repeated", "not-utf8", "json", "basic-garbage", "basic-empty", "basic-binary",
        "form-garbage"])
async def test_malformed_token_requests_are_4xx_with_an_error_code(
        auth_server: AuthServer, request_kwargs: dict) -> None:
    response = await _post(auth_server, "/oauth/token", **request_kwargs)
    assert 400 <= response.status_code < 500
    assert response.json()["error"] in {"invalid_request", "invalid_client"}


@pytest.mark.parametrize("path", ["/oauth/revoke", "/oauth/introspect"])
async def test_revoke_and_introspect_without_token_are_invalid_request(
        auth_server: AuthServer, app_client, path: str) -> None:
    headers = _basic(app_client.client.client_id, app_client.client_secret)
    response = await _post(auth_server, path, data={}, headers=headers)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


async def test_authorization_endpoint_errors(auth_server: AuthServer) -> None:
    code_app = await auth_server.register("points:read", grants=("authorization_code",),
                                          redirect_uris=(REDIRECT_URI,))
    machine = await auth_server.register("stores:read", redirect_uris=(REDIRECT_URI,))
    pkce = {"code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256", "redirect_uri": REDIRECT_URI, "state": "st"}
    async with httpx.AsyncClient() as browser:
        unknown = await browser.get(auth_server.url("/oauth/authorize"), params={
            "response_type": "code", "client_id": "app_nope", **pkce})
        no_client = await browser.get(auth_server.url("/oauth/authorize"),
                                      params={"response_type": "code"})
        token_type = await browser.get(auth_server.url("/oauth/authorize"), params={
            "response_type": "token", "client_id": code_app.client.client_id, **pkce})
        bad_scope = await browser.get(auth_server.url("/oauth/authorize"), params={
            "response_type": "code", "client_id": code_app.client.client_id,
            "scope": "payments:write", **pkce})
        not_allowed = await browser.get(auth_server.url("/oauth/authorize"), params={
            "response_type": "code", "client_id": machine.client.client_id, **pkce})
    assert unknown.status_code == 400 and "invalid_client" in unknown.text
    assert no_client.status_code == 400 and "invalid_client" in no_client.text
    assert query_of(token_type.headers["location"])["error"] == "unsupported_response_type"
    assert query_of(bad_scope.headers["location"])["error"] == "invalid_scope"
    assert query_of(not_allowed.headers["location"])["error"] == "unauthorized_client"


@pytest.mark.parametrize(("path", "params"), [
    ("/oauth/authorize", {"response_type": "é", "client_id": "x"}),
    ("/oauth/authorize", {"response_type": '"', "client_id": "x"}),
    ("/oauth/token", {"grant_type": '"quoted'}),
    ("/oauth/token", {"grant_type": "client_credentials", "scope": "\x00"}),
    ("/oauth/authorize", {"response_type": "code", "redirect_uri": 'http://"x"'}),
], ids=["non-ascii", "quote-response-type", "quote-grant-type", "nul-scope", "quote-uri"])
async def test_values_authlib_cannot_echo_are_invalid_request(
        auth_server: AuthServer, app_client, path: str, params: dict) -> None:
    async with httpx.AsyncClient() as http:
        if path == "/oauth/token":
            response = await http.post(auth_server.url(path), data=params, headers=_basic(
                app_client.client.client_id, app_client.client_secret))
            assert (response.status_code, response.json()["error"]) == (400, "invalid_request")
        else:
            response = await http.get(auth_server.url(path),
                                      params={**params, "client_id": app_client.client.client_id})
            assert response.status_code == 400
            assert "invalid_request" in response.text


_KEYS = ["grant_type", "client_id", "client_secret", "code", "code_verifier", "redirect_uri",
         "refresh_token", "scope", "token", "token_type_hint", "response_type", "code_challenge",
         "code_challenge_method", "state", "username", "password", "next", "csrf", "decision",
         '"q', "é"]
_VALUES = ["", "x", "client_credentials", "authorization_code", "refresh_token", "code",
           "S256", "plain", "a.b.c", "\x00", "é", '"', "\\", "%", "stores:read", "x" * 3000,
           "access_token", "approve", "//evil", REDIRECT_URI]
_PATHS = ["/oauth/token", "/oauth/revoke", "/oauth/introspect", "/oauth/authorize",
          "/oauth/login", "/oauth/consents/revoke", "/oauth/consents"]


async def test_random_malformed_requests_never_get_a_500(auth_server: AuthServer) -> None:
    import random

    issued = await auth_server.register(
        "stores:read", grants=("authorization_code", "refresh_token", "client_credentials"),
        redirect_uris=(REDIRECT_URI,))
    auths = [_basic(issued.client.client_id, issued.client_secret), {}, {},
             {"Authorization": "Basic Og=="}, {"Authorization": "Bearer x"}]
    rnd = random.Random(20261125)
    failures = []
    async with httpx.AsyncClient() as http:
        for _ in range(300):
            path = rnd.choice(_PATHS)
            params = {rnd.choice(_KEYS): rnd.choice([*_VALUES, issued.client.client_id])
                      for _ in range(rnd.randint(0, 6))}
            headers = rnd.choice(auths)
            if rnd.random() < 0.5:
                response = await http.get(auth_server.url(path), params=params, headers=headers)
            else:
                response = await http.post(auth_server.url(path), data=params, headers=headers)
            if response.status_code >= 500:
                failures.append((path, params, response.status_code))
    assert failures == []
