"""``loopgate stats rebuild`` on the real database: drifted figures are replaced by the
recount, for one campaign or all; a malformed or unknown campaign id is refused."""

import asyncio

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from gateway.cli import main
from schema.marketing import stats
from tests.marketing.helpers import buyer, campaign, deal, member_token, merchant, purchase


async def _run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    status = await asyncio.to_thread(main, list(argv))
    out, err = capsys.readouterr()
    return status, out.strip(), " ".join(err.split())


async def test_rebuild_replaces_drifted_figures_by_the_recount(
        db: AsyncDatabase, ferretdb: str, capsys: pytest.CaptureFixture) -> None:
    flags = ("--mongodb-uri", ferretdb, "--db", db.name)
    shop = merchant()
    first, second = await campaign(db, shop), await campaign(db, shop)
    member = await buyer(db, shop.partner_id)
    await purchase(db, member_token(member), await deal(db, shop, campaignId=first), member,
                   quantity=2)
    for campaign_id in (first, second):
        await db[stats.STATS].update_one({"_id": stats.stats_id(campaign_id)},
                                         {"$set": {"sold": 50, "redeemed": 7}}, upsert=True)

    status, out, _ = await _run(capsys, "stats", "rebuild", "--campaign", first, *flags)
    assert status == 0 and out.startswith(f"{first}  sold 2  redeemed 0  revenue 2000 CNY")
    assert (await stats.read(db, first))[0] == await stats.recount(db, first)
    assert (await stats.read(db, second))[0].sold == 50

    status, out, _ = await _run(capsys, "stats", "rebuild", *flags)
    assert status == 0 and len(out.splitlines()) == 2
    assert (await stats.read(db, second))[0] == stats.Figures()


async def test_bad_campaign_ids_are_refused(db: AsyncDatabase, ferretdb: str,
                                           capsys: pytest.CaptureFixture) -> None:
    flags = ("--mongodb-uri", ferretdb, "--db", db.name)
    status, _, err = await _run(capsys, "stats", "rebuild", "--campaign", "nope", *flags)
    assert status != 0 and "--campaign" in err
    status, _, err = await _run(capsys, "stats", "rebuild", "--campaign",
                                "cmp_01JZZZZZZZZZZZZZZZZZZZZZZZ", *flags)
    assert status != 0 and "no campaign" in err
