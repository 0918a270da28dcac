"""get_many: documents by id in the order asked, by point reads or by ``$in`` batches."""

import pytest

from schema.kernel import reads
from schema.kernel.reads import get_many
from schema.kernel.server import on_ferretdb


@pytest.mark.parametrize("point_reads", [True, False])
async def test_documents_come_in_the_order_asked_with_none_for_missing(db, point_reads,
                                                                        monkeypatch):
    monkeypatch.setattr(reads, "IN_BATCH", 3)   # several $in batches
    await db["things"].insert_many([{"_id": f"t{i}", "n": i, "x": "skip"} for i in range(8)])
    ids = ["t5", "missing", "t0", "t5", "t7", "t2", "also-missing", "t1"]
    found = await get_many(db["things"], ids, {"n": 1}, point_reads=point_reads)
    assert found == [{"_id": "t5", "n": 5}, None, {"_id": "t0", "n": 0}, {"_id": "t5", "n": 5},
                     {"_id": "t7", "n": 7}, {"_id": "t2", "n": 2}, None, {"_id": "t1", "n": 1}]
    assert await get_many(db["things"], [], point_reads=point_reads) == []


async def test_the_server_decides_the_way_by_default(db):
    info = await db.client.admin.command("buildInfo")
    assert await on_ferretdb(db["things"]) == ("ferretdbVersion" in info)
    await db["things"].insert_one({"_id": "a"})
    assert await get_many(db["things"], ["a", "b"]) == [{"_id": "a"}, None]
