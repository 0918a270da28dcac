"""Authorization code with PKCE S256, driven like a browser plus authlib's OAuth client."""

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError

from tests.auth._browser import Member, hidden_fields, query_of
from tests.auth.fixtures import REDIRECT_URI, AuthServer

GRANTS = ("authorization_code", "refresh_token")


async def _app(server: AuthServer, scopes: str = "points:read orders:read", **kwargs):
    return await server.register(scopes, grants=GRANTS, redirect_uris=(REDIRECT_URI,),
                                 **kwargs)


async def _code(server: AuthServer, member: Member, issued, verifier: str,
                scope: str = "points:read") -> str:
    async with server.oauth_client(issued, redirect_uri=REDIRECT_URI, scope=scope,
                                   code_challenge_method="S256") as oauth:
        url, state = oauth.create_authorization_url(server.url("/oauth/authorize"),
                                                    code_verifier=verifier)
    async with httpx.AsyncClient() as browser:
        answer = await member.authorize(browser, url)
    assert answer.status_code == 302, answer.text
    params = query_of(answer.headers["location"])
    assert params["state"] == state
    assert answer.headers["location"].startswith(REDIRECT_URI)
    return params["code"]


async def _exchange(server: AuthServer, issued, code: str, verifier: str,
                    redirect_uri: str = REDIRECT_URI) -> dict:
    async with server.oauth_client(issued, redirect_uri=redirect_uri) as oauth:
        return await oauth.fetch_token(server.url("/oauth/token"), grant_type="authorization_code",
                                       code=code, code_verifier=verifier)


async def test_pkce_flow_issues_a_member_token(auth_server: AuthServer) -> None:
    issued = await _app(auth_server)
    member = await Member.create(auth_server)
    verifier = generate_token(64)
    code = await _code(auth_server, member, issued, verifier)
    token = await _exchange(auth_server, issued, code, verifier)
    assert token["scope"] == "points:read"
    assert token["refresh_token"]
    async with httpx.AsyncClient() as http:
        me = (await http.get(auth_server.url("/whoami"),
                             headers={"Authorization": f"Bearer {token['access_token']}"})).json()
    assert me["member_id"] == member.member_id
    assert me["partner_id"] == issued.client.partner_id
    assert me["scopes"] == ["points:read"]


async def test_public_client_uses_pkce_without_a_secret(auth_server: AuthServer) -> None:
    issued = await _app(auth_server, public=True)
    assert issued.client_secret is None
    member = await Member.create(auth_server)
    verifier = generate_token(64)
    code = await _code(auth_server, member, issued, verifier)
    async with auth_server.oauth_client(issued, redirect_uri=REDIRECT_URI,
                                        token_endpoint_auth_method="none") as oauth:
        token = await oauth.fetch_token(auth_server.url("/oauth/token"),
                                        grant_type="authorization_code", code=code,
                                        code_verifier=verifier)
    assert token["access_token"]


async def test_wrong_verifier_is_invalid_grant(auth_server: AuthServer) -> None:
    issued = await _app(auth_server)
    member = await Member.create(auth_server)
    code = await _code(auth_server, member, issued, generate_token(64))
    with pytest.raises(OAuthError) as refused:
        await _exchange(auth_server, issued, code, generate_token(64))
    assert refused.value.error == "invalid_grant"


async def test_reused_code_is_refused_and_revokes_its_tokens(auth_server: AuthServer) -> None:
    issued = await _app(auth_server)
    member = await Member.create(auth_server)
    verifier = generate_token(64)
    code = await _code(auth_server, member, issued, verifier)
    first = await _exchange(auth_server, issued, code, verifier)
    with pytest.raises(OAuthError) as refused:
        await _exchange(auth_server, issued, code, verifier)
    assert refused.value.error == "invalid_grant"
    async with httpx.AsyncClient() as http:
        me = await http.get(auth_server.url("/whoami"),
                            headers={"Authorization": f"Bearer {first['access_token']}"})
    assert me.status_code == 401
    async with auth_server.oauth_client(issued) as oauth:
        with pytest.raises(OAuthError) as refresh_refused:
            await oauth.refresh_token(auth_server.url("/oauth/token"),
                                      refresh_token=first["refresh_token"])
    assert refresh_refused.value.error == "invalid_grant"


async def test_redirect_uri_mismatch_at_the_token_endpoint(auth_server: AuthServer) -> None:
    issued = await auth_server.register("points:read", grants=GRANTS,
                                        redirect_uris=(REDIRECT_URI, REDIRECT_URI + "2"))
    member = await Member.create(auth_server)
    verifier = generate_token(64)
    code = await _code(auth_server, member, issued, verifier)
    with pytest.raises(OAuthError) as refused:
        await _exchange(auth_server, issued, code, verifier, redirect_uri=REDIRECT_URI + "2")
    assert refused.value.error == "invalid_grant"


async def test_unregistered_redirect_uri_gets_an_error_page_not_a_redirect(
        auth_server: AuthServer) -> None:
    issued = await _app(auth_server)
    async with auth_server.oauth_client(issued, redirect_uri="https://evil.example/cb",
                                        code_challenge_method="S256") as oauth:
        url, _ = oauth.create_authorization_url(auth_server.url("/oauth/authorize"),
                                                code_verifier=generate_token(64))
    async with httpx.AsyncClient() as browser:
        page = await browser.get(url)
    assert page.status_code == 400
    assert "invalid_request" in page.text
    assert "location" not in page.headers


@pytest.mark.parametrize("extra", [
    {"code_challenge": "x" * 43, "code_challenge_method": "plain"},
    {"code_challenge": "x" * 43},
    {},
], ids=["plain", "method-missing", "no-pkce"])
async def test_pkce_s256_is_required(auth_server: AuthServer, extra: dict) -> None:
    issued = await _app(auth_server)
    params = {"response_type": "code", "client_id": issued.client.client_id,
              "redirect_uri": REDIRECT_URI, "scope": "points:read", "state": "s1", **extra}
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(auth_server.url("/oauth/authorize"), params=params)
    assert answer.status_code == 302
    error = query_of(answer.headers["location"])
    assert error["error"] == "invalid_request"
    assert error["state"] == "s1"


async def test_denied_consent_redirects_with_access_denied(auth_server: AuthServer) -> None:
    issued = await _app(auth_server)
    member = await Member.create(auth_server)
    async with auth_server.oauth_client(issued, redirect_uri=REDIRECT_URI, scope="points:read",
                                        code_challenge_method="S256") as oauth:
        url, _ = oauth.create_authorization_url(auth_server.url("/oauth/authorize"),
                                                code_verifier=generate_token(64))
    async with httpx.AsyncClient() as browser:
        answer = await member.authorize(browser, url, decision="deny")
    assert answer.status_code == 302
    assert query_of(answer.headers["location"])["error"] == "access_denied"


async def test_consent_page_lists_scopes_in_plain_words(auth_server: AuthServer) -> None:
    issued = await _app(auth_server)
    member = await Member.create(auth_server)
    async with auth_server.oauth_client(issued, redirect_uri=REDIRECT_URI,
                                        scope="points:read orders:read",
                                        code_challenge_method="S256") as oauth:
        url, _ = oauth.create_authorization_url(auth_server.url("/oauth/authorize"),
                                                code_verifier=generate_token(64))
    async with httpx.AsyncClient() as browser:
        login = await browser.get(url)
        await member.sign_in(browser, dict(hidden_fields(login.text))["next"])
        page = await browser.get(url)
    assert "See your points balance and history" in page.text
    assert "See your orders and their status" in page.text
    assert "Test app would like to" in page.text


async def test_wrong_password_stays_on_the_login_page(auth_server: AuthServer) -> None:
    member = await Member.create(auth_server)
    member.password = "wrong"
    async with httpx.AsyncClient() as browser:
        answer = await member.sign_in(browser, "/oauth/consents")
    assert answer.status_code == 401
    assert "Wrong member name or password" in answer.text
    assert "set-cookie" not in answer.headers


async def test_member_revokes_an_apps_consent(auth_server: AuthServer) -> None:
    issued = await _app(auth_server)
    member = await Member.create(auth_server)
    verifier = generate_token(64)
    token = await _exchange(auth_server, issued,
                            await _code(auth_server, member, issued, verifier), verifier)
    async with httpx.AsyncClient() as browser:
        login = await browser.get(auth_server.url("/oauth/consents"))
        await member.sign_in(browser, dict(hidden_fields(login.text))["next"])
        page = await browser.get(auth_server.url("/oauth/consents"))
        assert "Test app" in page.text
        revoked = await browser.post(auth_server.url("/oauth/consents/revoke"),
                                     data=dict(hidden_fields(page.text)))
        assert revoked.status_code == 303
        after = await browser.get(auth_server.url("/oauth/consents"))
    assert "No apps are connected" in after.text
    async with httpx.AsyncClient() as http:
        me = await http.get(auth_server.url("/whoami"),
                            headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.status_code == 401
    async with auth_server.oauth_client(issued) as oauth:
        with pytest.raises(OAuthError):
            await oauth.refresh_token(auth_server.url("/oauth/token"),
                                      refresh_token=token["refresh_token"])


async def test_withdrawn_consent_spends_outstanding_codes(auth_server: AuthServer) -> None:
    issued = await _app(auth_server)
    member = await Member.create(auth_server)
    verifier = generate_token(64)
    code = await _code(auth_server, member, issued, verifier)
    assert await auth_server.service.consents.revoke(member.member_id, issued.client.client_id)
    with pytest.raises(OAuthError) as refused:
        await _exchange(auth_server, issued, code, verifier)
    assert refused.value.error == "invalid_grant"
