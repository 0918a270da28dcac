"""``loopgate clients create`` and ``loopgate token`` against the real database."""

import asyncio
from collections.abc import Iterator

import pytest
from pymongo import MongoClient

from auth.service import AuthService
from gateway.cli import main
from gateway.config import Settings
from schema.kernel.ids import new_id
from schema.kernel.mongo import Mongo

CliDb = tuple[list[str], str, str]


@pytest.fixture
def cli_db(ferretdb: str) -> Iterator[CliDb]:
    """Database flags for the CLI, a fresh database with one partner (its id and slug)."""
    name = f"cli_{new_id('evt')[4:].lower()}"
    partner_id, slug = new_id("ptn"), f"shop-{new_id('evt')[-6:].lower()}"
    with MongoClient(ferretdb) as client:
        client[name]["partners"].insert_one({"_id": partner_id, "slug": slug, "name": "Shop"})
    yield ["--mongodb-uri", ferretdb, "--db", name], partner_id, slug
    with MongoClient(ferretdb) as client:
        client.drop_database(name)


def _lines(text: str) -> dict[str, str]:
    return dict(line.split(None, 1) for line in text.strip().splitlines())


def _verify(uri: str, db: str, token: str) -> tuple[str, frozenset[str]]:
    async def verify() -> tuple[str, frozenset[str]]:
        mongo = Mongo.open(uri, db)
        try:
            service = AuthService.create(mongo.db, issuer=Settings().public_issuer)
            await service.start()
            principal = await service.verifier.verify(token)
            return str(principal.partner_id), principal.scopes
        finally:
            await mongo.close()

    return asyncio.run(verify())


def test_create_a_client_then_mint_a_token(cli_db: CliDb, capsys: pytest.CaptureFixture) -> None:
    flags, partner_id, slug = cli_db
    assert main(["clients", "create", "--partner", slug, "--scopes",
                 "stores:read orders:read", "--name", "Till", *flags]) == 0
    created = _lines(capsys.readouterr().out)
    assert created["client_id"].startswith("app_")
    assert main(["token", "--client", created["client_id"], "--secret",
                 created["client_secret"], "--scopes", "orders:read", *flags]) == 0
    token = capsys.readouterr().out.strip()
    assert _verify(flags[1], flags[3], token) == (partner_id, frozenset({"orders:read"}))


def test_wrong_secret_and_unknown_partner_fail_cleanly(cli_db: CliDb,
                                                      capsys: pytest.CaptureFixture) -> None:
    flags, partner_id, _slug = cli_db
    assert main(["clients", "create", "--partner", partner_id, "--scopes", "stores:read",
                 *flags]) == 0
    client_id = _lines(capsys.readouterr().out)["client_id"]
    assert main(["token", "--client", client_id, "--secret", "nope", *flags]) == 1
    assert "invalid_client" in capsys.readouterr().err
    assert main(["clients", "create", "--partner", "nobody", "--scopes", "stores:read",
                 *flags]) == 1
    assert "no partner 'nobody'" in capsys.readouterr().err
    assert main(["clients", "create", "--partner", partner_id, "--scopes", "bogus:scope",
                 *flags]) == 1
    assert "unknown scope" in capsys.readouterr().err


def test_rotate_secret_keeps_both_working(cli_db: CliDb, capsys: pytest.CaptureFixture) -> None:
    flags, partner_id, _slug = cli_db
    main(["clients", "create", "--partner", partner_id, "--scopes", "stores:read", *flags])
    created = _lines(capsys.readouterr().out)
    assert main(["clients", "rotate-secret", created["client_id"], *flags]) == 0
    rotated = _lines(capsys.readouterr().out)["client_secret"]
    for secret in (created["client_secret"], rotated):
        assert main(["token", "--client", created["client_id"], "--secret", secret,
                     *flags]) == 0
        capsys.readouterr()
