"""The whole stack (engine + action server + front door) started by the real launcher."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from evaluation.stack import Stack, StackError, start_stack, stop_stack


@pytest.fixture(scope="session")
def _stacks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Stack]]:
    stacks: list[Stack] = []
    yield stacks
    for running in stacks:
        if running.process.poll() is None:
            stop_stack(running)


@pytest.fixture
def stack(_stacks: list[Stack], tmp_path_factory: pytest.TempPathFactory) -> Stack:
    """The running stack, shared by the tests; started again if a test stopped it."""
    if not _stacks or _stacks[-1].process.poll() is not None:
        try:
            _stacks.append(start_stack(tmp_path_factory.mktemp("stack")))
        except StackError as exc:
            pytest.fail(str(exc))
    return _stacks[-1]
