"""/healthz answers while the process runs; /readyz only while the database answers."""

import httpx

from gateway.app import create_app
from gateway.config import Settings
from schema.kernel.mongo import Mongo


async def test_health_and_readiness_with_a_live_database(mongo: Mongo) -> None:
    app = create_app(Settings(), mongo)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        ready = await http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready", "checks": ["database"]}


async def test_readiness_fails_with_the_reason_when_the_database_is_gone() -> None:
    mongo = Mongo.open("mongodb://127.0.0.1:1/", "x", timeout_ms=200)
    app = create_app(Settings(), mongo)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app),
                                     base_url="http://t") as http:
            assert (await http.get("/healthz")).status_code == 200
            ready = await http.get("/readyz")
    finally:
        await mongo.close()
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert "cannot reach MongoDB" in ready.json()["reasons"]["database"]
