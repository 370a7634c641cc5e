"""A Redis lock store whose read-modify-write steps are atomic across engine processes.

Runs inside the engine (Rasa 3.6, Python 3.10).  Rasa's ``RedisLockStore``
reads a conversation's ticket lock, changes it and writes it back in separate
commands.  Two engines receiving messages of one conversation at the same time
can then issue the same ticket, or one can delete the lock the other just
queued on (RasaHQ/rasa#9213; the fix, ``ConcurrentRedisLockStore``, was
reverted from the open-source edition).  Here every such step is a Redis
transaction (``WATCH`` / ``MULTI`` / ``EXEC``, retried when the key changed),
so only one engine handles a conversation at any time, in ticket order.

Configured by ``server/runtime.py`` when ``REDIS_URL`` is set::

    lock_store:
      type: bot.lock_store.AtomicRedisLockStore
      url: 127.0.0.1
      port: 6379
      db: 0
"""

from __future__ import annotations

import json
from typing import Callable, Optional, Text

import redis
from rasa.core.constants import DEFAULT_LOCK_LIFETIME
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

#: Rasa's default lifetime of a ticket (seconds).
LOCK_LIFETIME = DEFAULT_LOCK_LIFETIME


class AtomicRedisLockStore(RedisLockStore):
    """``RedisLockStore`` with atomic ticket issuing, expiry and clean-up."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        # Rasa builds a lock store named by its module path from the endpoint config alone.
        super().__init__(host=endpoint_config.url or "localhost", **endpoint_config.kwargs)

    def _transaction(
        self, conversation_id: Text, change: Callable[[Optional[TicketLock]], Optional[TicketLock]]
    ) -> None:
        """Apply ``change`` to the stored lock atomically: None deletes it."""
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    changed = change(lock)
                    pipe.multi()
                    if changed is None:
                        pipe.delete(key)
                    else:
                        pipe.set(key, changed.dumps())
                    pipe.execute()
                    return
                except redis.WatchError:
                    continue  # another engine changed the lock meanwhile: read it again

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        issued: list = []

        def issue(lock: Optional[TicketLock]) -> TicketLock:
            lock = lock or self.create_lock(conversation_id)
            issued[:] = [lock.issue_ticket(lock_lifetime)]
            return lock

        try:
            self._transaction(conversation_id, issue)
        except redis.RedisError as e:
            raise LockError(f"Error while acquiring lock. Error:\n{e}") from e
        return int(issued[0])

    def update_lock(self, conversation_id: Text) -> None:
        def expire(lock: Optional[TicketLock]) -> Optional[TicketLock]:
            if lock is None:
                return None
            lock.remove_expired_tickets()
            return lock

        self._transaction(conversation_id, expire)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        self.cleanup(conversation_id, ticket_number)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """Remove the ticket, and the lock with it when nobody else waits: in one step."""

        def finish(lock: Optional[TicketLock]) -> Optional[TicketLock]:
            if lock is None:
                return None
            lock.remove_ticket_for(ticket_number)
            return lock if lock.is_someone_waiting() else None

        self._transaction(conversation_id, finish)
