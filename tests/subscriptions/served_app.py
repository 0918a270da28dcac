"""``create_app`` (the subscription routes included), for uvicorn subprocesses
(``uvicorn tests.subscriptions.served_app:app --factory``): the database and issuer from
``LOOPGATE_MONGODB_URI``, ``LOOPGATE_DB`` and ``LOOPGATE_ISSUER``, as ``loopgate serve``
reads them."""

from starlette.applications import Starlette

from gateway.app import create_app
from gateway.config import Settings
from schema.kernel.mongo import Mongo


def app() -> Starlette:
    settings = Settings()
    assert settings.mongodb_uri, "LOOPGATE_MONGODB_URI is required"
    return create_app(settings, Mongo.open(settings.mongodb_uri, settings.db))
