"""Rate limits of the chat, on every channel: per conversation, per client, and on form submissions.

Budgets (settings, in the ``limits`` notation: ``30/minute``, ``5/hour``…):

* ``RATE_LIMIT_SESSION`` (30/minute): messages of one conversation;
* ``RATE_LIMIT_CLIENT`` (120/minute): messages from one client: its IP address
  (behind a reverse proxy, uvicorn takes it from ``X-Forwarded-For`` when the
  proxy is in ``FORWARDED_ALLOW_IPS``, 127.0.0.1 by default); on WhatsApp, the
  sender (the keyed hash of the number: the conversation id);
* ``RATE_LIMIT_SUBMISSIONS`` (5/hour): registrations and tickets per client.

A message over a budget is refused before it reaches the engine: ``RateLimited``
carries the French text (``knowledge/messages.yml``) and the seconds to wait;
``POST /api/chat`` answers 429 with ``Retry-After``, the widget and WhatsApp
receive the text as the bot's message.

Algorithm: the moving window of the ``limits`` library (a log of the hits of
the last window: exact, no double burst at a window's edge).  Storage: in
memory (one process), or Redis when ``REDIS_URL`` is set, shared by every
front-door process (``redis.asyncio``, keys prefixed ``partenaires-sante``).  When
the storage fails (Redis down), messages go through and the error's class is
logged: the assistant stays available.

Form submissions.  The registration and the ticket are saved by the action
server; the front door only sees, after each turn, which form runs and which
question it asks, and which actions ran.  So:

1. after a turn that leaves a form at its summary (``contract.SUMMARY_SLOTS``:
   requested slot ``confirmation`` of ``inscription_partenaire``,
   ``confirmation_transmission`` of ``transmission_demande``), the conversation is
   marked as being at the summary (for an hour, in the same storage);
2. the next message of a conversation so marked is the one that can save: the
   client's submission budget is checked first, without using it.  When it is
   spent, the message is refused (429) and never reaches the engine, so
   nothing is saved; the form stays at its summary and can be confirmed later;
3. after that turn, when the submit action (``action_submit_inscription``,
   ``action_submit_transmission``) ran, which it reports as the effect
   ``submission`` (``contract.Effect``), one submission is counted.  « Annuler »
   at the summary also runs it and is counted too: the budget errs on the safe side.

The submit actions only run after the summary was asked, so every saved form
goes through step 2; the mark (memory storage) is lost on a restart, which lets
at most one more submission through per conversation then at its summary.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import ConcurrentUpdateError, StorageError
from redis.exceptions import RedisError

from contract import SUMMARY_SLOTS, Effect, TurnState
from knowledge.messages import message
from server.settings import Settings

logger = logging.getLogger(__name__)

#: What a failing storage raises (Redis down or slow): the message is let through, and only these.
#: Any other exception is a bug of the limiter and propagates.
STORAGE_ERRORS = (RedisError, StorageError, ConcurrentUpdateError, OSError, TimeoutError)
#: How long a conversation stays marked as being at a summary.
SUMMARY_MARK_S = 3600
KEY_PREFIX = "partenaires-sante"


class RateLimited(Exception):
    """A message refused by a rate limit: ``detail`` (French) is said to the user, ``retry_after`` in seconds."""

    def __init__(self, budget: str, retry_after: int) -> None:
        super().__init__(f"rate limited: {budget}")
        self.budget = budget
        self.retry_after = max(1, retry_after)
        if budget == "submissions":
            self.detail = message("rate_limited_submissions", minutes=max(1, math.ceil(self.retry_after / 60)))
        else:
            self.detail = message("rate_limited", seconds=self.retry_after)


@dataclass(frozen=True)
class Budgets:
    session: RateLimitItem
    client: RateLimitItem
    submissions: RateLimitItem

    @classmethod
    def from_settings(cls, settings: Settings) -> Budgets:
        return cls(
            session=parse(settings.rate_limit_session),
            client=parse(settings.rate_limit_client),
            submissions=parse(settings.rate_limit_submissions),
        )


def at_summary(form: Any) -> bool:
    """The chat API's ``FormState`` (or None) is at its form's summary (``contract.SUMMARY_SLOTS``)."""
    if form is None:
        return False
    return SUMMARY_SLOTS.get(getattr(form, "name", None) or "") == getattr(form, "requested_slot", None)


class RateLimits:
    """The budgets of one app, on one storage (created in the app's lifespan; ``aclose`` at its end)."""

    def __init__(self, budgets: Budgets, storage: Storage, pool: Any = None) -> None:
        self.budgets = budgets
        self._storage = storage
        self._limiter = MovingWindowRateLimiter(storage)
        self._pool = pool

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        budgets = Budgets.from_settings(settings)
        if settings.redis_url is None:
            return cls(budgets, MemoryStorage())
        from redis.asyncio import ConnectionPool  # only with REDIS_URL

        url = settings.redis_url.get_secret_value()
        pool = ConnectionPool.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        storage = RedisStorage(
            f"async+{url}",
            implementation="redispy",
            key_prefix=KEY_PREFIX,
            connection_pool=pool,  # type: ignore[arg-type]  # passed on to redis.asyncio.Redis
        )
        return cls(budgets, storage, pool)

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.disconnect()

    async def _hit(self, budget: str, item: RateLimitItem, key: str) -> None:
        """Use one unit of ``item`` for ``key``, or raise ``RateLimited`` with the time until one frees up."""
        try:
            if await self._limiter.hit(item, budget, key):
                return
            stats = await self._limiter.get_window_stats(item, budget, key)
        except STORAGE_ERRORS as exc:  # the storage is down: let the message through
            logger.warning("rate limits: storage unavailable (%s), message let through", type(exc).__name__)
            return
        raise RateLimited(budget, math.ceil(stats.reset_time - time.time()))

    async def admit_message(self, client: str | None, session_id: str | None) -> None:
        """Count one message against the client's and the conversation's budgets."""
        if client:
            await self._hit("client", self.budgets.client, client)
        if session_id:
            await self._hit("session", self.budgets.session, session_id)

    def _mark(self, session_id: str) -> str:
        return f"summary/{session_id}"

    async def admit_submission(self, session_id: str, client: str) -> bool:
        """Before a turn: True when the conversation is at a summary (this message may save a form).

        Raises ``RateLimited`` when it is and the client's submission budget is spent.
        """
        try:
            if not await self._storage.get(self._mark(session_id)):
                return False
            if await self._limiter.test(self.budgets.submissions, "submissions", client):
                return True
            stats = await self._limiter.get_window_stats(self.budgets.submissions, "submissions", client)
        except STORAGE_ERRORS as exc:  # the storage is down: let the message through
            logger.warning("rate limits: storage unavailable (%s), message let through", type(exc).__name__)
            return False
        raise RateLimited("submissions", math.ceil(stats.reset_time - time.time()))

    async def after_turn(self, session_id: str, client: str, was_at_summary: bool, state: TurnState) -> None:
        """After a turn: count a submission, and mark or unmark the conversation as being at a summary."""
        try:
            if was_at_summary and state.did(Effect.SUBMISSION):
                await self._limiter.hit(self.budgets.submissions, "submissions", client)
            mark = self._mark(session_id)
            if state.at_summary():
                await self._storage.clear(mark)
                await self._storage.incr(mark, SUMMARY_MARK_S)
            elif was_at_summary:
                await self._storage.clear(mark)
        except STORAGE_ERRORS as exc:  # the storage is down: the turn is answered anyway
            logger.warning("rate limits: storage unavailable (%s)", type(exc).__name__)
