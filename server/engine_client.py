"""HTTP client of the engine's private ``frontdoor`` channel and of the action server."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

CHANNEL_PATH = "/webhooks/frontdoor"


class EngineUnavailable(Exception):
    """The engine (or the action server behind it) could not handle the turn."""

    def __init__(self, component: str, reason: str) -> None:
        super().__init__(f"{component}: {reason}")
        self.component = component
        self.reason = reason


@dataclass(frozen=True)
class Turn:
    """The engine's answer to one user message."""

    messages: list[dict[str, Any]]
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def slots(self) -> dict[str, Any]:
        slots = self.state.get("slots")
        return slots if isinstance(slots, dict) else {}

    @property
    def slots_set(self) -> dict[str, Any]:
        slots = self.state.get("slots_set")
        return slots if isinstance(slots, dict) else {}


class EngineClient:
    """One pooled HTTP client for the whole process (created in the app's lifespan)."""

    def __init__(
        self,
        engine_url: str,
        token: str,
        action_server_url: str,
        timeout_s: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._engine_url = engine_url.rstrip("/")
        self._action_url = action_server_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s, connect=2.0),
            transport=transport,
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> Turn:
        url = f"{self._engine_url}{CHANNEL_PATH}/webhook"
        try:
            response = await self._client.post(
                url, json={"sender": sender, "message": text, "metadata": metadata}, headers=self._headers
            )
        except httpx.HTTPError as exc:
            raise EngineUnavailable("engine", type(exc).__name__) from exc
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
        return Turn(messages=messages, state=state if isinstance(state, dict) else {})

    async def engine_health(self) -> dict[str, Any]:
        try:
            response = await self._client.get(f"{self._engine_url}{CHANNEL_PATH}/", headers=self._headers, timeout=3.0)
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            return {"status": "down", "error": type(exc).__name__}
        if response.status_code == 200:
            return {"status": "ok", "tracker_store": body.get("tracker_store")}
        return {"status": "degraded", **(body if isinstance(body, dict) else {})}

    async def action_server_health(self) -> dict[str, Any]:
        try:
            response = await self._client.get(f"{self._action_url}/health", timeout=3.0)
        except httpx.HTTPError as exc:
            return {"status": "down", "error": type(exc).__name__}
        if response.status_code == 200:
            return {"status": "ok"}
        return {"status": "down", "error": f"HTTP {response.status_code}"}
