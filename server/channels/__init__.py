"""Messaging channels: the base class (``base``), sealed values (``sealing``) and the worker (``inbound``).

The names below are re-exported for the channels' modules and the tests.
"""

from server.channels.base import PAYLOAD, TEXT, UNSUPPORTED, Channel, DeliveryError, Inbound, Retry
from server.channels.inbound import KEEP_DONE, InboundWorker, is_forget_request
from server.channels.sealing import SealError, seal, unseal

__all__ = [
    "KEEP_DONE",
    "PAYLOAD",
    "TEXT",
    "UNSUPPORTED",
    "Channel",
    "DeliveryError",
    "Inbound",
    "InboundWorker",
    "Retry",
    "SealError",
    "is_forget_request",
    "seal",
    "unseal",
]
