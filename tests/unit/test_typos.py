"""The typo generator of the NLU benchmark (benchmarks/nlu/typos.py): pure Python, deterministic."""

from __future__ import annotations

import random

import pytest

from benchmarks.nlu.typos import (
    eligible_words,
    inject_typos,
    inject_typos_all,
    strip_accents,
    swap_letters,
)

SENTENCE = "Est-ce que mes congés peuvent être reportés après la crise sanitaire ? Je télétravaille à présent."
WORDS = SENTENCE.split()


def long_text(words: int = 4000) -> str:
    rng = random.Random(0)
    vocabulary = [w.strip("?.,") for w in WORDS if len(w.strip("?.,")) >= 3]
    return " ".join(rng.choice(vocabulary) for _ in range(words))


def test_same_text_and_seed_give_the_same_typos() -> None:
    text = long_text(500)
    assert inject_typos(text, seed=7) == inject_typos(text, seed=7)
    assert inject_typos_all([text, SENTENCE], seed=7) == [inject_typos(text, seed=7), inject_typos(SENTENCE, seed=7)]


def test_another_seed_gives_other_typos() -> None:
    text = long_text(500)
    assert inject_typos(text, seed=1) != inject_typos(text, seed=2)


def test_about_ten_percent_of_the_words_are_altered() -> None:
    text = long_text(4000)
    altered = inject_typos(text)
    before, after = text.split(" "), altered.split(" ")
    assert len(before) == len(after)  # no word is split or merged, spacing is kept
    rate = sum(a != b for a, b in zip(before, after, strict=True)) / len(before)
    assert 0.08 <= rate <= 0.12, rate


def test_rate_zero_and_one() -> None:
    text = long_text(200)
    assert inject_typos(text, rate=0.0) == text
    assert all(a != b for a, b in zip(text.split(), inject_typos(text, rate=1.0).split(), strict=True))


def test_accents_are_dropped() -> None:
    assert strip_accents("réservé à l'hôpital, ça") == "reserve a l'hopital, ca"
    text = "congés " * 300
    altered = inject_typos(text, rate=1.0, operations=("accents",))
    assert altered == "conges " * 300


def test_adjacent_letters_are_swapped() -> None:
    rng = random.Random(3)
    for word in ["masque", "vaccin", "abcd"]:
        swapped = swap_letters(word, rng)
        assert swapped != word and sorted(swapped) == sorted(word) and len(swapped) == len(word)
        diff = [i for i, (a, b) in enumerate(zip(word, swapped, strict=True)) if a != b]
        assert len(diff) == 2 and diff[1] == diff[0] + 1
    assert swap_letters("aaa", rng) == "aaa"  # nothing to swap
    altered = inject_typos("masque " * 100, rate=1.0, operations=("swap",)).split()
    assert all(sorted(w) == sorted("masque") and w != "masque" for w in altered)


def test_drop_and_double_change_the_length_by_one() -> None:
    dropped = inject_typos("gel " * 50, rate=1.0, operations=("drop",)).split()
    doubled = inject_typos("gel " * 50, rate=1.0, operations=("double",)).split()
    assert {len(w) for w in dropped} == {2} and {len(w) for w in doubled} == {4}


def test_short_words_numbers_and_punctuation_are_left_alone() -> None:
    text = "je n'ai 2 ou 3 CET, et toi ? -- ok !!! 2020 ... (a/b)"
    assert eligible_words(text) == ["CET", "toi"]
    altered = inject_typos(text, rate=1.0)
    # Only the eligible words may change; every other character keeps its place.
    for kept in ["je", "n'", "ai 2 ou 3 ", ", et ", " ? -- ok !!! 2020 ... (a/b)"]:
        assert kept in altered
    assert inject_typos("?!... ,;", rate=1.0) == "?!... ,;"


def test_empty_string() -> None:
    assert inject_typos("") == ""
    assert inject_typos_all([]) == []


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="rate"):
        inject_typos("bonjour", rate=1.5)
    with pytest.raises(ValueError, match="operations"):
        inject_typos("bonjour", operations=("shout",))
