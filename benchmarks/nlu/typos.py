"""Deterministic typo injection for the NLU robustness benchmark (pure Python, no Rasa).

About ``rate`` (10 % by default) of the *eligible* words of a text are altered, with
one operation each, chosen by a seeded random generator:

- ``accents``: drop the accents (``réservé`` -> ``reserve``, ``ç`` -> ``c``);
- ``swap``: swap two adjacent letters (``congés`` -> ``cnogés``);
- ``drop``: drop one letter (``masque`` -> ``maque``);
- ``double``: double one letter (``masque`` -> ``massque``).

A word is eligible when it has at least ``MIN_WORD_LENGTH`` letters; shorter words
(``je``, ``un``), numbers and punctuation are never touched, and the spacing and
punctuation of the text are kept exactly.  ``accents`` is only chosen for a word
that has accents.  The same (text, rate, seed) always gives the same result, on
every Python version (only :class:`random.Random` with an integer seed is used).
"""

from __future__ import annotations

import random
import re
import unicodedata
import zlib
from collections.abc import Iterable, Sequence

from contract.text import strip_accents as contract_strip_accents

#: Words shorter than this are left alone (a typo in "je" or "un" is not realistic).
MIN_WORD_LENGTH = 3
DEFAULT_RATE = 0.10
DEFAULT_SEED = 13
OPERATIONS: tuple[str, ...] = ("accents", "swap", "drop", "double")

_WORD = re.compile(r"[^\W\d_]+")


def strip_accents(word: str) -> str:
    """``réservé`` -> ``reserve``; letters without accents are unchanged."""
    return unicodedata.normalize("NFC", contract_strip_accents(word))


def has_accents(word: str) -> bool:
    return strip_accents(word) != word


def swap_letters(word: str, rng: random.Random) -> str:
    """Swap two adjacent, different letters (the word changes whenever that is possible)."""
    positions = [i for i in range(len(word) - 1) if word[i] != word[i + 1]]
    if not positions:
        return word
    i = rng.choice(positions)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def drop_letter(word: str, rng: random.Random) -> str:
    i = rng.randrange(len(word))
    return word[:i] + word[i + 1 :]


def double_letter(word: str, rng: random.Random) -> str:
    i = rng.randrange(len(word))
    return word[: i + 1] + word[i] + word[i + 1 :]


def alter_word(word: str, rng: random.Random, operations: Sequence[str] = OPERATIONS) -> str:
    """One typo in ``word``, with an operation drawn from ``operations``."""
    choices = [op for op in operations if op != "accents" or has_accents(word)] or ["swap"]
    operation = rng.choice(choices)
    if operation == "accents":
        return strip_accents(word)
    if operation == "swap":
        return swap_letters(word, rng)
    if operation == "drop":
        return drop_letter(word, rng)
    if operation == "double":
        return double_letter(word, rng)
    raise ValueError(f"unknown typo operation {operation!r}; expected one of {OPERATIONS}")


def _text_seed(text: str, seed: int) -> int:
    # crc32 is stable across runs and versions (unlike hash(), which is salted for str).
    return (seed * 1_000_003) ^ zlib.crc32(text.encode("utf-8"))


def inject_typos(
    text: str,
    rate: float = DEFAULT_RATE,
    seed: int = DEFAULT_SEED,
    operations: Sequence[str] = OPERATIONS,
) -> str:
    """``text`` with about ``rate`` of its eligible words altered, deterministically.

    The generator is seeded from ``seed`` and the text itself, so a message gets the
    same typos whatever its position in a data set.
    """
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be in [0, 1], got {rate}")
    unknown = set(operations) - set(OPERATIONS)
    if unknown or not operations:
        raise ValueError(f"operations must be a non-empty subset of {OPERATIONS}, got {list(operations)}")
    if not text:
        return text
    rng = random.Random(_text_seed(text, seed))

    def replace(match: re.Match[str]) -> str:
        word = match.group(0)
        if len(word) < MIN_WORD_LENGTH or rng.random() >= rate:
            return word
        return alter_word(word, rng, operations)

    return _WORD.sub(replace, text)


def inject_typos_all(texts: Iterable[str], rate: float = DEFAULT_RATE, seed: int = DEFAULT_SEED) -> list[str]:
    return [inject_typos(text, rate=rate, seed=seed) for text in texts]


def words(text: str) -> list[str]:
    """The words of ``text`` (runs of letters), as :func:`inject_typos` sees them."""
    return _WORD.findall(text)


def eligible_words(text: str) -> list[str]:
    """The words :func:`inject_typos` may alter."""
    return [w for w in words(text) if len(w) >= MIN_WORD_LENGTH]
