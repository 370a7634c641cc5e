"""What the engine and the action server expose: loopback only, no Rasa HTTP API, a token on
the private channel, telemetry off."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from evaluation.stack import Stack, descendants

pytestmark = pytest.mark.e2e

LISTEN = "0A"
LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1, ::1


def listening_addresses(port: int) -> set[str]:
    """Local addresses listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if int(hex_port, 16) == port and fields[3] == LISTEN:
                found.add(address)
    return found


def test_the_engine_and_the_action_server_listen_on_loopback_only(stack: Stack) -> None:
    for port in stack.ports[1:]:
        addresses = listening_addresses(port)
        assert addresses, f"nothing listens on {port}"
        assert addresses <= LOOPBACK, (port, addresses)


def test_rasa_http_api_is_off_and_the_private_channel_needs_the_token(stack: Stack) -> None:
    engine = f"http://127.0.0.1:{stack.ports[1]}"
    with httpx.Client(timeout=10) as client:
        assert client.get(f"{engine}/status").status_code == 404
        assert client.post(f"{engine}/model/parse", json={"text": "bonjour"}).status_code in (404, 405)
        assert client.get(f"{engine}/conversations/someone/tracker").status_code == 404
        rest = client.post(f"{engine}/webhooks/rest/webhook", json={"sender": "x", "message": "bonjour"})
        assert rest.status_code == 404  # only the private channel is enabled
        forged = client.post(
            f"{engine}/webhooks/frontdoor/webhook",
            json={"sender": "x", "message": "bonjour", "metadata": {}},
            headers={"Authorization": "Bearer not-the-token-0123456789"},
        )
        assert forged.status_code in (401, 403)


def test_telemetry_is_off_in_every_process(stack: Stack) -> None:
    pids = descendants(stack.process.pid)
    environments = []
    for pid in pids:
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"RASA_TELEMETRY_ENABLED=false" in environ:
            environments.append(pid)
    assert environments, "no process runs with RASA_TELEMETRY_ENABLED=false"
