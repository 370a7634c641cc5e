"""Text folding shared by both environments (standard library only, Python 3.10+).

One definition of "without accents": NFKD decomposition, combining marks dropped
(``é`` → ``e``, ``ﬁ`` → ``fi``), and the French ligatures, which NFKD keeps,
written out (``cœur`` → ``coeur``, as most people type it).  Each caller adds its
own rule on top (tokens, punctuation, plural), named where it is used.
"""

from __future__ import annotations

import unicodedata

#: Ligatures NFKD does not decompose: without this, ``cœur`` would become ``c ur`` once punctuation goes.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE"})


def strip_accents(text: str) -> str:
    """``Réservé`` → ``Reserve``, ``Œil`` → ``OEil``: case kept, accents and other combining marks dropped."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """``Médiateur Santé`` → ``mediateur sante``: case-folded, then :func:`strip_accents`."""
    return strip_accents(text.casefold())
