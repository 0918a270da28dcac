"""One workaround for PyMongo's connection-pool wait on Python 3.11, applied in one place.

PyMongo's async pool waits for a free connection with ``asyncio.wait_for(condition.wait(),
timeout)`` (``pymongo.lock._async_cond_wait``). On Python 3.11, ``wait_for`` runs the wait in
an inner task. When its timeout fires it cancels that inner task and waits for it; if the
outer task is itself cancelled during that wait (a time budget ending at the same moment),
``wait_for`` returns at once and leaves the inner task behind. The orphan then re-acquires
the pool's lock as ``Condition.wait`` must, and nobody ever releases it: every later
database call of the process waits for a connection until it times out, and ``close()``
hangs. Seen under the heaviest load the default operation limits let one app send, and
pinned by ``tests/kernel/test_pool_wait.py``.

:func:`wait_in_task` waits in the calling task under ``asyncio.timeout`` (what ``wait_for``
does from Python 3.12 on), so there is no inner task to orphan: however many cancellations
arrive, ``Condition.wait`` re-acquires the lock in the task that holds the ``async with``,
which then releases it. :func:`install` puts it in the pool module's namespace, once, on
Python versions before 3.12; importing :mod:`schema.kernel.mongo` installs it.
"""

import asyncio
import sys

from pymongo.asynchronous import pool
from pymongo.lock import Condition


async def wait_in_task(condition: Condition, timeout: float | None) -> bool:  # noqa: ASYNC109  (PyMongo's signature)
    """Wait on ``condition`` for at most ``timeout`` seconds; False when the time ran out."""
    try:
        async with asyncio.timeout(timeout):
            return await condition.wait()
    except TimeoutError:
        return False


def install() -> bool:
    """Make PyMongo's async pool wait with :func:`wait_in_task`; True when it was needed."""
    if sys.version_info >= (3, 12):
        return False
    pool._async_cond_wait = wait_in_task  # type: ignore[attr-defined]
    return True
