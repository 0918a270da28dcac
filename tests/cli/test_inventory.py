"""``loopgate inventory unfreeze`` as an operator runs it, against the session's FerretDB."""

from schema.catalog.collections import INVENTORY
from schema.kernel.time import as_utc, utcnow
from tests.catalog.test_sync import A, setup, sync
from tests.catalog.test_unfreeze import freeze, from_now
from tests.cli.test_bad_input import assert_one_line_failure, run_loopgate


async def test_unfreeze_releases_a_store_and_the_next_count_applies(mongo, ferretdb, monkeypatch):
    db = mongo.db
    await db["partners"].insert_one({"_id": A.partner_id, "name": "A", "slug": "a-mart"})
    store_id, _ = await setup(db, skus=("A", "B"))
    await freeze(db, monkeypatch, store_id, ("A",))
    connection = ("--mongodb-uri", ferretdb, "--db", db.name)

    result = run_loopgate("inventory", "unfreeze", "--partner", "a-mart", "--store", "S1",
                          *connection)
    assert result.returncode == 0, result.stderr
    assert "released 1 stock rows and 1 product prices" in result.stdout
    assert f"stock  {store_id}  A" in result.stdout
    row = await db[INVENTORY].find_one({"sku": "A"})
    assert as_utc(row["countedAt"]) <= utcnow()
    assert (await sync(db, store_id, [{"sku": "A", "onHand": 3,
                                       "occurredAt": from_now()}]))["applied"] == 1

    missing = run_loopgate("inventory", "unfreeze", "--partner", "a-mart", "--store", "NOPE",
                           *connection)
    assert_one_line_failure(missing, "has no store with code 'NOPE'")
    unknown = run_loopgate("inventory", "unfreeze", "--partner", "nobody", *connection)
    assert_one_line_failure(unknown, "no partner 'nobody'")
