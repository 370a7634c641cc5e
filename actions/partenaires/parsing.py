"""Pure checks of the answers given in the partner forms (no I/O, no French text)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from contract.text import fold
from knowledge.partenaires import Option

#: Crockford's base-32 alphabet (no I, L, O, U): 10 characters = 50 random bits.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_LENGTH = 10
REFERENCE_PREFIX = "PP-"
_REFERENCE = re.compile(r"\bPP\s*-?\s*([0-9A-Z]{10})\b", re.IGNORECASE)
#: Letters (any script with accents), joined by one hyphen, apostrophe or space.
_NAME = re.compile(r"^[^\W\d_]+(?:(?:[-' ]|' )[^\W\d_]+)*$")
_EMAIL_TOKEN = re.compile(r"[^\s<>()\[\],;:\"]+@[^\s<>()\[\],;:\"]+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


def normalise(text: str) -> str:
    """Lower case, no accents, straight apostrophes, single spaces."""
    return " ".join(fold(text.translate(_APOSTROPHES)).split())


def new_reference(prefix: str = REFERENCE_PREFIX) -> str:
    """``prefix`` plus 10 characters from a 32-letter alphabet: 50 random bits."""
    return prefix + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def parse_reference(text: str) -> str | None:
    match = _REFERENCE.search(text)
    return REFERENCE_PREFIX + match.group(1).upper() if match else None


def parse_name(text: str, max_length: int) -> str | None:
    """A first or last name: letters, hyphens, apostrophes and spaces, trimmed."""
    value = " ".join(text.translate(_APOSTROPHES).split())
    value = re.sub(r"\s*-\s*", "-", value)
    if not value or len(value) > max_length or not _NAME.match(value):
        return None
    return value


def parse_email(text: str) -> str | None:
    """The e-mail address in ``text``, validated and normalised (no DNS lookup)."""
    candidates = _EMAIL_TOKEN.findall(text)
    if len(candidates) != 1:
        return None
    try:
        return validate_email(candidates[0].strip(".'"), check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def parse_phone(text: str, region: str = "FR") -> str | None:
    """A valid phone number in ``text`` (French formats by default), in E.164."""
    for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
        return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_free_text(text: str, max_length: int) -> str | None:
    value = " ".join(text.split())
    if not value or len(value) > max_length:
        return None
    return value


def _word_pattern(word: str) -> re.Pattern[str]:
    word = normalise(word)
    end = r"(?![a-z0-9])" if len(word) <= 3 else ""
    return re.compile(r"(?<![a-z0-9])" + re.escape(word) + end)


def _matched_words(text: str, option: Option) -> list[str]:
    plain = normalise(text)
    return [word for word in option.words if _word_pattern(word).search(plain)]


def parse_choices(text: str, options: Sequence[Option], chosen: Iterable[str] = ()) -> list[str]:
    """Every option named in ``text`` (or picked by a button), in the options' order."""
    values = {o.value for o in options}
    picked = {value for value in chosen if value in values}
    for option in options:
        if _matched_words(text, option):
            picked.add(option.value)
    return [o.value for o in options if o.value in picked]


def parse_choice(text: str, options: Sequence[Option], chosen: Iterable[str] = ()) -> str | None:
    """The one option named in ``text``: a button's value, else the longest word recognised."""
    values = {o.value for o in options}
    for value in chosen:
        if value in values:
            return value
    best: tuple[int, str] | None = None
    tie = False
    for option in options:
        words = _matched_words(text, option)
        if not words:
            continue
        length = max(len(normalise(w)) for w in words)
        if best is None or length > best[0]:
            best, tie = (length, option.value), False
        elif length == best[0] and option.value != best[1]:
            tie = True
    return None if best is None or tie else best[1]


def matches_phrase(text: str, phrases: Iterable[str]) -> bool:
    """The whole message is one of ``phrases`` (punctuation and case ignored)."""
    plain = " ".join(re.findall(r"[a-z0-9']+", normalise(text)))
    return any(plain == " ".join(re.findall(r"[a-z0-9']+", normalise(p))) for p in phrases)


def starts_with_phrase(text: str, phrases: Iterable[str]) -> bool:
    plain = " ".join(re.findall(r"[a-z0-9']+", normalise(text)))
    for phrase in phrases:
        words = " ".join(re.findall(r"[a-z0-9']+", normalise(phrase)))
        if plain == words or plain.startswith(words + " "):
            return True
    return False


def looks_like_question(text: str, markers: Iterable[str]) -> bool:
    """A question mark, or a marker ("c'est quoi", "quel ") at the start of a word."""
    if "?" in text:
        return True
    plain = " " + normalise(text) + " "
    for marker in markers:
        word = normalise(marker) + (" " if marker.endswith(" ") else "")
        if word.strip() and " " + word in plain:
            return True
    return False
