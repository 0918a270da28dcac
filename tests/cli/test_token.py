"""``loopgate token`` mints for the issuer the running server has, or says what to pass.

A real ``loopgate serve`` process on a non-default port and issuer (from the environment, as
a user would set it), and the CLI run as a user would run it, in another process.
"""

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from pymongo import MongoClient

from gateway.embedded import server
from schema.kernel.ids import new_id
from tests.cli.test_bad_input import run_loopgate
from tests.cli.test_serve import _wait_ready


@dataclass(frozen=True)
class Served:
    """The running server, where it answers, its issuer and the environment it was given."""

    base: str
    issuer: str
    env: dict[str, str]
    partner_id: str


def _client(served: Served) -> tuple[str, str]:
    created = run_loopgate("clients", "create", "--partner", served.partner_id,
                           "--scopes", "stores:read", "--json", env=served.env)
    assert created.returncode == 0, created.stderr
    issued = json.loads(created.stdout)
    return issued["client_id"], issued["client_secret"]


def _viewer(served: Served, token: str) -> httpx.Response:
    return httpx.post(f"{served.base}/graphql", headers={"authorization": f"Bearer {token}"},
                      json={"query": "{ viewer { clientId } }"}, timeout=10)


@pytest.fixture(scope="module")
def served(ferretdb: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    port, name, partner_id = server.free_port(), f"tok_{new_id('evt')[4:].lower()}", new_id("ptn")
    with MongoClient(ferretdb) as client:
        client[name]["partners"].insert_one({"_id": partner_id, "slug": "tok", "name": "Tok",
                                           "type": "MERCHANT"})
    issuer = f"http://localhost:{port}"
    env = {"LOOPGATE_MONGODB_URI": ferretdb, "LOOPGATE_DB": name,
           "LOOPGATE_STATE_DIR": str(tmp_path_factory.mktemp("state")),
           "LOOPGATE_PORT": str(port), "LOOPGATE_ISSUER": issuer}
    proc = subprocess.Popen([sys.executable, "-m", "gateway.cli", "serve"],
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        _wait_ready(f"http://127.0.0.1:{port}", proc)
        yield Served(f"http://127.0.0.1:{port}", issuer, env, partner_id)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
        with MongoClient(ferretdb) as client:
            client.drop_database(name)


def test_a_token_minted_with_the_servers_configuration_is_accepted(served: Served) -> None:
    client_id, secret = _client(served)
    minted = run_loopgate("token", "--client", client_id, "--secret", secret, env=served.env)
    assert minted.returncode == 0, minted.stderr
    assert f"issuer {served.issuer}" in minted.stderr and "warning" not in minted.stderr
    answer = _viewer(served, minted.stdout.strip())
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"] == {"viewer": {"clientId": client_id}}


def test_the_issuer_flag_overrides_the_environment(served: Served) -> None:
    client_id, secret = _client(served)
    env = {**served.env, "LOOPGATE_ISSUER": "http://elsewhere.invalid"}
    minted = run_loopgate("token", "--client", client_id, "--secret", secret,
                          "--issuer", served.issuer, env=env)
    assert minted.returncode == 0, minted.stderr
    assert _viewer(served, minted.stdout.strip()).status_code == 200


def test_a_server_with_another_issuer_is_named_before_minting(served: Served) -> None:
    client_id, secret = _client(served)
    minted = run_loopgate("token", "--client", client_id, "--secret", secret,
                          "--issuer", served.base, env=served.env)
    assert minted.returncode == 1 and minted.stdout == ""
    assert (f"the server at {served.base} has the issuer {served.issuer} and would refuse a "
            f"token issued by {served.base}; pass --issuer {served.issuer}") in minted.stderr


def test_no_server_at_the_issuer_warns_and_the_server_explains_the_refusal(
        served: Served) -> None:
    client_id, secret = _client(served)
    nobody = f"http://127.0.0.1:{server.free_port()}"
    env = {k: v for k, v in served.env.items() if k != "LOOPGATE_ISSUER"}
    minted = run_loopgate("token", "--client", client_id, "--secret", secret,
                          "--port", nobody.rsplit(":", 1)[1], env=env)
    assert minted.returncode == 0, minted.stderr
    warning = " ".join(minted.stderr.split())
    assert f"warning: no Loopgate server answers at {nobody}" in warning
    assert "pass the same --host/--port it was started with" in warning
    refused = _viewer(served, minted.stdout.strip())
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["message"] == (
        f"the token was issued by {nobody}, but this server only accepts tokens issued by "
        f"{served.issuer}")
