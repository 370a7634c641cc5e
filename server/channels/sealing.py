"""Values that wait in the database (a phone number, a message) are stored sealed: AES-256-GCM.

The key is derived (HKDF-SHA256, its own purpose) from the channel's hash key, so that
no copy in clear is left in the database file once the values are cleared.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class SealError(ValueError):
    """A sealed value was altered, or sealed with another key."""


def _seal_key(key: bytes) -> AESGCM:
    """The encryption key, derived from the channel's hash key (HKDF-SHA256, its own purpose)."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"partenaires-sante/seal").derive(key)
    return AESGCM(derived)


def seal(key: bytes, plain: str) -> str:
    """``plain`` encrypted and authenticated with AES-256-GCM (``cryptography``), random nonce.

    Values that wait in the database (a phone number, a message) are stored sealed,
    so that no copy in clear is left in the database file once they are cleared.
    """
    nonce = secrets.token_bytes(12)
    # surrogatepass: a lone surrogate in a platform's JSON ("\\ud800") is kept, then removed by clean_text.
    body = _seal_key(key).encrypt(nonce, plain.encode("utf-8", "surrogatepass"), None)
    return base64.urlsafe_b64encode(nonce + body).decode("ascii")


def unseal(key: bytes, sealed: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(sealed.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise SealError("not a sealed value") from exc
    if len(raw) < 12 + 16:
        raise SealError("not a sealed value")
    try:
        return _seal_key(key).decrypt(raw[:12], raw[12:], None).decode("utf-8", "surrogatepass")
    except InvalidTag as exc:
        raise SealError("sealed with another key, or altered") from exc
