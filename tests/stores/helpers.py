"""Shared helpers for the domain subgraph tests: run a schema as a given caller."""

from typing import Any

import strawberry
from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.context import make_context
from schema.kernel.principal import Principal

ALL_SCOPES = frozenset({"stores:read", "stores:write", "catalog:read", "catalog:write",
                        "inventory:read", "inventory:write"})


def partner(partner_id: str, *scopes: str) -> Principal:
    return Principal(client_id=f"app-{partner_id}", partner_id=partner_id,
                     scopes=frozenset(scopes) if scopes else ALL_SCOPES)


async def run(schema: strawberry.federation.Schema, db: AsyncDatabase, query: str,
              principal: Principal | None, **variables: Any) -> Any:
    """Execute and return the result (data and errors)."""
    return await schema.execute(query, variable_values=variables,
                                context_value=make_context(db, {"principal": principal}))


async def data(schema: strawberry.federation.Schema, db: AsyncDatabase, query: str,
               principal: Principal | None, **variables: Any) -> dict[str, Any]:
    """Execute and return the data, failing on any error."""
    result = await run(schema, db, query, principal, **variables)
    assert result.errors is None, result.errors
    return result.data


def store_input(code: str, lat: float, lng: float, **extra: Any) -> dict[str, Any]:
    return {"code": code, "name": f"Store {code}",
            "address": {"line1": "1 Road", "city": "Shanghai"},
            "location": {"lat": lat, "lng": lng},
            "openingHours": [{"dayOfWeek": d, "opens": "08:00", "closes": "22:00"}
                             for d in range(1, 8)],
            "services": ["PICKUP", "DELIVERY"], "deliveryRadiusMeters": 3000, **extra}


UPSERT_STORE = """mutation($input: UpsertStoreInput!) { upsertStore(input: $input) {
  store { id code status location { lat lng } merchant { id } openNow }
  userErrors { code field message } } }"""


async def make_store(db: AsyncDatabase, owner: Principal, code: str, lat: float,
                     lng: float, **extra: Any) -> str:
    from schema.stores.schema import schema

    out = await data(schema, db, UPSERT_STORE, owner, input=store_input(code, lat, lng, **extra))
    assert out["upsertStore"]["userErrors"] == []
    return out["upsertStore"]["store"]["id"]
