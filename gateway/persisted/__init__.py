"""Persisted operations (issue #15): automatic persisted queries and per-app safelists.

The gateway calls :meth:`PersistedOperations.resolve` on each request before executing it;
the pipeline is described in :mod:`gateway.persisted.resolve`. Where things live:

- :mod:`~gateway.persisted.extension`: the ``persistedQuery`` extension and hashing;
- :mod:`~gateway.persisted.apq`: the automatic-persisted-query store and its bounds;
- :mod:`~gateway.persisted.operations`: one operation with its fragments, canonically printed;
- :mod:`~gateway.persisted.manifest`: the manifest formats ``loopgate persisted push`` reads;
- :mod:`~gateway.persisted.safelist`: apps' safelists as the gateway reads them (cached);
- :mod:`~gateway.persisted.admin`: writing safelists (the CLI);
- :mod:`~gateway.persisted.errors`: :class:`PersistedOperationError`, codes and statuses.
"""

from gateway.persisted.apq import ApqLimits
from gateway.persisted.errors import PersistedOperationError
from gateway.persisted.resolve import PersistedOperations

__all__ = ["ApqLimits", "PersistedOperationError", "PersistedOperations"]
