"""One list fetch per token across processes: the token's fetch lock in Redis (redis-py's
`Lock`, whose release deletes the key only while it still holds this holder's own random
value, in one Lua script), else a PostgreSQL advisory lock (held by the connection's session).

A Redis lock runs out after the API's time limit and a margin, so that a process killed mid-
fetch does not hold it for ever; a fetch that outlives it has lost it, and letting go of it
then leaves the key alone: another process may hold it by then."""

import logging
import time
from contextlib import contextmanager

from django.db import DatabaseError, connection
from redis.exceptions import LockError, RedisError

from backupsui.upstream import Unavailable

logger = logging.getLogger(__name__)

# A PostgreSQL advisory lock is two 32-bit numbers: this one says "a list fetch".
ADVISORY_NAMESPACE = 22_0001


class SharedLock:
    """The fetch lock of one token in the shared cache (Django's RedisCache, `shared`)."""

    def __init__(self, shared, name: str, seconds: float):
        client = shared._cache.get_client(write=True)
        self._lock = client.lock(
            shared.make_and_validate_key(name), timeout=seconds, blocking=False
        )

    def acquire(self) -> bool:
        """Taken now (without waiting), or not; taken as well when Redis does not answer:
        the process then fetches alone, as without a shared cache."""
        try:
            return self._lock.acquire()
        except RedisError as error:
            logger.warning("lists: the shared cache failed to lock (%s)", type(error).__name__)
            return True

    def release(self) -> None:
        """Lets go of it if it is still this holder's; another's is left alone."""
        try:
            self._lock.release()
        except LockError:
            logger.info("lists: a fetch outlived its lock; the lock is another's or gone")
        except RedisError as error:
            logger.warning("lists: the shared cache failed to unlock (%s)", type(error).__name__)


@contextmanager
def advisory_lock(token_id: int, deadline: float):
    """The token's fetch lock in PostgreSQL (this connection's session), waited for until
    `deadline` (time.monotonic()); let go of when the connection ends, whatever happens."""
    args = [ADVISORY_NAMESPACE, token_id % 2**31]
    pause = 0.01
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", args)
            if cursor.fetchone()[0]:
                break
            if time.monotonic() >= deadline:
                raise Unavailable()
            time.sleep(pause)
            pause = min(pause * 2, 0.1)
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", args)
        except DatabaseError:
            connection.close_if_unusable_or_obsolete()
            logger.warning("lists: a fetch lock could not be let go of; it ends with the session")
