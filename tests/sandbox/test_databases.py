"""The kernel's choice of database: the principal picks it, principal-less work can tell the
mode from the database, and the live database cannot be named like a sandbox."""

import pytest
from pydantic import ValidationError
from pymongo.asynchronous.database import AsyncDatabase

from gateway.config import Settings
from schema.kernel.principal import Principal
from schema.kernel.sandbox import Databases, is_sandbox


def test_a_sandbox_principal_gets_the_sandbox_and_everyone_else_the_live_database(
        db: AsyncDatabase) -> None:
    databases = Databases.beside(db)
    sandboxed = Principal(client_id="app_s", partner_id="ptn_1", sandbox=True)
    live = Principal(client_id="app_l", partner_id="ptn_1")

    assert databases.sandbox.name == f"{db.name}_sandbox"
    assert databases.pick(sandboxed) is databases.sandbox
    assert databases.pick(live) is databases.live
    assert databases.pick(None) is databases.live
    assert databases.each() == (databases.live, databases.sandbox)
    assert [is_sandbox(d) for d in databases.each()] == [False, True]
    pinned = Databases.live_only(db)
    assert pinned.pick(sandboxed) is db and pinned.each() == (db,)


def test_the_live_database_cannot_have_a_sandbox_name() -> None:
    with pytest.raises(ValidationError, match="must not end with '_sandbox'"):
        Settings(db="loopgate_sandbox")
    assert Settings(db="sandbox_shop").db == "sandbox_shop"
