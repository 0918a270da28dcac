"""Revoking many access tokens at once: a long-lived family, or the same tokens again.

One update command of 100 or more statements wedges FerretDB, so a revocation must never
send one, however many tokens it covers or whether they were revoked before.
"""

from datetime import timedelta

from pymongo.asynchronous.database import AsyncDatabase

from auth.refresh import RefreshTokens
from auth.revocation import RevocationList
from schema.kernel.time import utcnow

MANY = 120


async def _unrevoked(revocations: RevocationList, jtis: list[str]) -> list[str]:
    return [jti for jti in jtis if not await revocations.is_revoked(jti)]


async def test_revoking_over_a_hundred_tokens_twice(db: AsyncDatabase) -> None:
    revocations = RevocationList(db)
    jtis = [f"jti-{n}" for n in range(MANY)]
    for _ in range(2):
        await revocations.revoke(jtis, utcnow() + timedelta(minutes=5))
    assert await _unrevoked(revocations, jtis) == []
    assert not await revocations.is_revoked("jti-other")


async def test_revoking_a_family_refreshed_over_a_hundred_times_reaches_every_token(
        db: AsyncDatabase) -> None:
    revocations = RevocationList(db)
    tokens = RefreshTokens(db, revocations)
    jtis = [f"jti-{n}" for n in range(MANY)]
    for jti in jtis:
        await tokens.record_issue("fam:big", jti=jti, refresh_token=None, client_id="app_big",
                                  member_id="mem_big", partner_id="ptn_big", scope="points:read")
    await tokens.revoke_family("fam:big")
    assert await _unrevoked(revocations, jtis) == []


async def test_a_token_recorded_after_its_family_was_revoked_is_revoked_at_once(
        db: AsyncDatabase) -> None:
    """A replayed code can revoke its family before the winning exchange records its tokens."""
    revocations = RevocationList(db)
    tokens = RefreshTokens(db, revocations)
    await tokens.revoke_family("fam:late")
    await tokens.record_issue("fam:late", jti="jti-late", refresh_token="lgr_late",
                              client_id="app_late", member_id="mem_late",
                              partner_id="ptn_late", scope="points:read")
    assert await revocations.is_revoked("jti-late")
    record = await tokens.find("lgr_late")
    assert record is not None and record.revoked
