"""Text folding shared by both environments (standard library only, Python 3.10+).

One definition of "without accents": NFKD decomposition, combining marks dropped
(``é`` → ``e``, ``ﬁ`` → ``fi``).  Each caller adds its own rule on top (tokens,
punctuation, plural), named where it is used.
"""

from __future__ import annotations

import unicodedata


def strip_accents(text: str) -> str:
    """``Réservé`` → ``Reserve``: case kept, accents and other combining marks dropped."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def fold(text: str) -> str:
    """``Médiateur Santé`` → ``mediateur sante``: case-folded, then :func:`strip_accents`."""
    return strip_accents(text.casefold())
