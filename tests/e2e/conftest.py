"""The whole stack (engine + action server + front door) started by the real launcher."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from evaluation.stack import Stack, StackError, start_stack, stop_stack
from tests import fake_graph
from tests.fake_graph import FakeGraph


class Inbox:
    """A real local SMTP server's received mails: (recipients, message)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.mails: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd calls this hook
        self.mails.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture(scope="session")
def inbox() -> Iterator[Inbox]:
    """The SMTP server every stack of the session sends the tickets' e-mails to."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    handler = Inbox(port)
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler
    controller.stop()


@pytest.fixture(scope="session")
def graph() -> Iterator[FakeGraph]:
    """The fake WhatsApp Graph API every stack of the session sends its WhatsApp replies to."""
    server = FakeGraph().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _stacks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Stack]]:
    stacks: list[Stack] = []
    yield stacks
    for running in stacks:
        if running.process.poll() is None:
            stop_stack(running)


@pytest.fixture
def stack(_stacks: list[Stack], tmp_path_factory: pytest.TempPathFactory, inbox: Inbox, graph: FakeGraph) -> Stack:
    """The running stack, shared by the tests; started again if a test stopped it."""
    if not _stacks or _stacks[-1].process.poll() is not None:
        smtp = {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(inbox.port),
            "SMTP_STARTTLS": "false",
            "OUTBOX_POLL_S": "1",
            **fake_graph.env(graph),  # the WhatsApp channel, on
        }
        try:
            _stacks.append(start_stack(tmp_path_factory.mktemp("stack"), smtp))
        except StackError as exc:
            pytest.fail(str(exc))
    return _stacks[-1]
