"""Base classes of several actions, which are not actions themselves."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T", bound=type)


def template(cls: T) -> T:
    """Keep rasa-sdk from registering ``cls`` as an action (``action_ask_``, ``validate_``…).

    rasa-sdk registers every subclass of ``Action`` it finds, except abstract ones:
    the class is marked abstract (its subclasses are not), so it can neither be
    registered nor instantiated.  A test checks that the registered actions are
    exactly the domain's.
    """
    setattr(cls, "__abstractmethods__", frozenset({"name"}))  # noqa: B010 - sets the abstract flag
    return cls
