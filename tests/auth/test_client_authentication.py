"""A failed client authentication says the same thing whether the id exists or not."""

import base64

import httpx
import pytest

from auth.server import CLIENT_AUTH_FAILED, CLIENT_AUTH_MISSING
from tests.auth.fixtures import AuthServer

UNKNOWN_ID = "app_01JUNKNOWN0000000000000000"


def _basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


async def _refusals(server: AuthServer, path: str, form: dict[str, str],
                    client_id: str) -> list[httpx.Response]:
    """A wrong secret and an unknown id, each by HTTP Basic and in the form."""
    async with httpx.AsyncClient() as http:
        return [await http.post(server.url(path), data=form, headers=_basic(cid, "lgs_wrong"))
                for cid in (client_id, UNKNOWN_ID)] + [
                await http.post(server.url(path),
                                data={**form, "client_id": cid, "client_secret": "lgs_wrong"})
                for cid in (client_id, UNKNOWN_ID)]


@pytest.mark.parametrize(("path", "form"), [
    ("/oauth/token", {"grant_type": "client_credentials"}),
    ("/oauth/introspect", {"token": "anything"}),
    ("/oauth/revoke", {"token": "anything"}),
], ids=["token", "introspect", "revoke"])
async def test_unknown_id_and_wrong_secret_get_identical_answers(
        auth_server: AuthServer, path: str, form: dict[str, str]) -> None:
    issued = await auth_server.register("stores:read", resource_server=True)
    answers = await _refusals(auth_server, path, form, issued.client.client_id)
    assert {a.status_code for a in answers} == {401}
    assert {a.content for a in answers} == {
        b'{"error":"invalid_client","error_description":"' + CLIENT_AUTH_FAILED.encode()
        + b'"}'}
    assert {a.headers["www-authenticate"] for a in answers} == {
        f'Basic error="invalid_client", error_description="{CLIENT_AUTH_FAILED}"'}


async def test_no_credentials_at_all_says_what_to_send(auth_server: AuthServer) -> None:
    async with httpx.AsyncClient() as http:
        answer = await http.post(auth_server.url("/oauth/token"),
                                 data={"grant_type": "client_credentials"})
    assert answer.status_code == 401
    assert answer.json() == {"error": "invalid_client", "error_description": CLIENT_AUTH_MISSING}


async def test_the_right_secret_still_authenticates(auth_server: AuthServer) -> None:
    issued = await auth_server.register("stores:read")
    async with httpx.AsyncClient() as http:
        answer = await http.post(auth_server.url("/oauth/token"),
                                 data={"grant_type": "client_credentials"},
                                 headers=_basic(issued.client.client_id, issued.client_secret))
    assert answer.status_code == 200 and answer.json()["scope"] == "stores:read"
