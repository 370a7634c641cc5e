"""HTTP client of the engine's private ``frontdoor`` channel and of the action server."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from contract import TurnState

CHANNEL_PATH = "/webhooks/frontdoor"

logger = logging.getLogger(__name__)


def instance_order(session_id: str, instances: Sequence[str]) -> list[str]:
    """The instances in the order a session tries them (rendezvous hashing).

    Each instance gets a score hashed from (instance, session); the highest
    wins.  The order depends on the session id and the set of instances only:
    every front door process agrees, and adding or removing one instance moves
    only the sessions that it wins or held.
    """

    def score(instance: str) -> bytes:
        return hashlib.blake2b(f"{instance}\x00{session_id}".encode(), digest_size=8).digest()

    return sorted(instances, key=score, reverse=True)


class EngineUnavailable(Exception):
    """A component the turn needs could not handle it: ``engine``, ``actions``, ``tracker_store`` or ``database``.

    ``session_id`` is set once the conversation is known (the client resends
    there); ``in_form`` when a form was running (nothing of the turn was saved).
    """

    def __init__(self, component: str, reason: str, *, in_form: bool = False) -> None:
        super().__init__(f"{component}: {reason}")
        self.component = component
        self.reason = reason
        self.in_form = in_form
        self.session_id: str | None = None


class _Unreached(Exception):
    """The message did not reach this instance's dialogue: another instance may take it."""


@dataclass(frozen=True)
class Turn:
    """The engine's answer to one user message: the bot's messages and the turn's state (``contract``)."""

    messages: list[dict[str, Any]]
    state: TurnState = field(default_factory=TurnState)

    @property
    def slots(self) -> dict[str, Any]:
        return self.state.slots

    @property
    def slots_set(self) -> dict[str, Any]:
        return self.state.slots_set


class EngineClient:
    """One pooled HTTP client for the whole process (created in the app's lifespan)."""

    def __init__(
        self,
        engine_urls: str | Sequence[str],
        token: str,
        action_server_url: str,
        timeout_s: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        urls = [engine_urls] if isinstance(engine_urls, str) else list(engine_urls)
        if not urls:
            raise ValueError("at least one engine URL is needed")
        self._engine_urls = list(dict.fromkeys(url.rstrip("/") for url in urls))
        self._action_url = action_server_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s, connect=2.0),
            transport=transport,
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    @property
    def engine_urls(self) -> list[str]:
        return list(self._engine_urls)

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> Turn:
        """One turn, on the session's instance, or on the next one when that one cannot be reached.

        Only a failed connection (or an engine still loading its model) moves a
        turn to another instance: the message did not reach the dialogue, so it
        cannot be processed twice.  A timeout or
        an error answer may come after the engine has processed (part of) the
        turn: it is reported, never retried elsewhere.
        """
        refused: list[str] = []
        for url in instance_order(sender, self._engine_urls):
            try:
                return await self._send_to(url, sender, text, metadata)
            except _Unreached as exc:
                logger.warning("engine %s: %s, trying the next instance", url, exc)
                refused.append(url)
        raise EngineUnavailable("engine", f"{len(refused)} instance(s) unreachable")

    async def _send_to(self, engine_url: str, sender: str, text: str, metadata: dict[str, Any]) -> Turn:
        url = f"{engine_url}{CHANNEL_PATH}/webhook"
        try:
            response = await self._client.post(
                url, json={"sender": sender, "message": text, "metadata": metadata}, headers=self._headers
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise _Unreached(type(exc).__name__) from exc
        except httpx.HTTPError as exc:
            raise EngineUnavailable("engine", type(exc).__name__) from exc
        if response.status_code == 503 and _error(response) == "not_ready":
            raise _Unreached("model not loaded yet")
        if response.status_code == 503 and _error(response) == "tracker_store":
            # The engine could not read or write the conversation (database unreachable): the turn is void.
            raise EngineUnavailable("tracker_store", "HTTP 503")
        if response.status_code != 200:
            raise EngineUnavailable("engine", f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise EngineUnavailable("engine", "invalid JSON") from exc
        messages = body.get("messages") if isinstance(body, dict) else None
        state = body.get("state") if isinstance(body, dict) else None
        if not isinstance(messages, list):
            raise EngineUnavailable("engine", "invalid reply")
        return Turn(messages=messages, state=TurnState.from_dict(state))

    async def instance_health(self, engine_url: str) -> dict[str, Any]:
        try:
            response = await self._client.get(f"{engine_url}{CHANNEL_PATH}/", headers=self._headers, timeout=3.0)
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            return {"url": engine_url, "status": "down", "error": type(exc).__name__}
        if response.status_code == 200:
            return {"url": engine_url, "status": "ok", "tracker_store": body.get("tracker_store")}
        return {"url": engine_url, "status": "degraded", **(body if isinstance(body, dict) else {})}

    async def engine_health(self) -> dict[str, Any]:
        """Every instance, and the engine as a whole: ``ok`` (all up), ``partial`` (some), else down or degraded."""
        instances = list(await asyncio.gather(*(self.instance_health(url) for url in self._engine_urls)))
        states = [instance["status"] for instance in instances]
        if all(state == "ok" for state in states):
            status = "ok"
        elif "ok" in states:
            status = "partial"
        elif "degraded" in states:
            status = "degraded"
        else:
            status = "down"
        summary: dict[str, Any] = {"status": status, "instances": instances}
        serving = next((i for i in instances if i["status"] == "ok"), instances[0])
        for key in ("tracker_store", "error", "model_loaded"):
            if key in serving:
                summary[key] = serving[key]
        return summary

    async def action_server_health(self) -> dict[str, Any]:
        try:
            response = await self._client.get(f"{self._action_url}/health", timeout=3.0)
        except httpx.HTTPError as exc:
            return {"status": "down", "error": type(exc).__name__}
        if response.status_code == 200:
            return {"status": "ok"}
        return {"status": "down", "error": f"HTTP {response.status_code}"}


def _error(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, str) else None
