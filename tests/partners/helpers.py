"""Run the partners subgraph as a given caller, on the caller's database (live or sandbox)."""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from partners.subgraph.context import make_partners_context
from partners.subgraph.schema import schema
from schema.kernel.principal import Principal
from schema.kernel.sandbox import Databases


async def run(db: AsyncDatabase, query: str, principal: Principal | None,
              **variables: Any) -> Any:
    """Execute on the database ``principal`` picks beside the live ``db``."""
    caller_db = Databases.beside(db).pick(principal)
    return await schema.execute(query, variable_values=variables,
                                context_value=make_partners_context(caller_db,
                                                                    {"principal": principal}))


async def data(db: AsyncDatabase, query: str, principal: Principal | None,
               **variables: Any) -> dict[str, Any]:
    """Execute and return the data, failing on any error."""
    result = await run(db, query, principal, **variables)
    assert result.errors is None, result.errors
    return result.data
