"""Normalisation for search: folding, words, stems, compounds and the typo budget."""

from __future__ import annotations

import pytest

from bot.search.text import fold, split_word, stem, stem_variants, words
from bot.search.vocabulary import Vocabulary, allowed_edits


def test_fold_casefolds_and_strips_accents_but_keeps_other_scripts() -> None:
    assert fold("Geënt op Crèche") == "geent op creche"
    assert fold("ÉÉN") == "een"
    assert fold("Ωmega") == "ωmega"


def test_words_keep_hyphenated_words_whole_with_their_joined_form() -> None:
    (word,) = words("wijk-werken")
    assert word.parts == ("wijk", "werken")
    assert word.joined == "wijkwerken"


def test_words_drop_the_apostrophe_s_of_a_plural() -> None:
    assert [w.parts for w in words("OCMW's en OCMW\u2019s")] == [("ocmw",), ("en",), ("ocmw",)]


def test_words_keep_action_codes_whole_but_split_a_sentence_end() -> None:
    assert [w.parts[0] for w in words("actie 2.3.2. Werk.")] == ["actie", "2.3.2", "werk"]


def test_words_mark_acronyms_typed_in_capitals() -> None:
    assert [w.upper for w in words("IMW imw Imw")] == [True, False, False]


def test_split_word_of_an_empty_or_lone_apostrophe_word_gives_nothing() -> None:
    assert split_word("") == ((), None)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("fiets", "fietsen"),  # dutch_porter alone gives fiet / fiets
        ("mens", "mensen"),
        ("overleg", "overleggen"),
        ("actie", "acties"),
        ("initiatief", "initiatieven"),
        ("zieke", "zieken"),
        ("jongere", "jongeren"),
        ("vergadering", "vergaderingen"),
    ],
)
def test_singular_and_plural_share_a_stem(one: str, other: str) -> None:
    assert stem(one) == stem(other)


def test_stemming_does_not_merge_unrelated_words() -> None:
    assert stem("begeleiding") != stem("beleid")
    assert stem("werk") != stem("werking")


def test_stem_variants_cover_the_other_number_of_a_typed_word() -> None:
    assert stem("fietsen") in stem_variants("fiets")
    assert stem("fiets") in stem_variants("fietsen")


def _vocabulary(*known: str) -> Vocabulary:
    vocab = Vocabulary()
    for word in known:
        vocab.learn(word)
    return vocab


def test_a_compound_splits_into_known_words_head_last() -> None:
    vocab = _vocabulary("deel", "fietsen", "vervoer", "regio")
    assert vocab.split("deelfietsen") == ("deel", "fietsen")
    assert vocab.split("vervoersregio") == ("vervoer", "regio")  # linking s


def test_a_word_without_known_parts_is_no_compound() -> None:
    vocab = _vocabulary("fietsen")
    assert vocab.split("mobiliteit") == ()
    assert vocab.split("fiets") == ()


def test_rejoining_compound_parts_finds_the_spelling_the_data_uses() -> None:
    vocab = _vocabulary("volwassenen", "onderwijs", "volwassenonderwijs")
    parts = vocab.split("volwassenenonderwijs")
    assert parts == ("volwassenen", "onderwijs")
    assert "volwassenonderwijs" in vocab.rejoin(parts)


@pytest.mark.parametrize(
    ("word", "edits"),
    [("taal", 0), ("imw", 0), ("stuur", 1), ("digibank", 1), ("mobiliteit", 2), ("2024", 0)],
)
def test_typo_budget_grows_with_word_length(word: str, edits: int) -> None:
    assert allowed_edits(word) == edits


def test_fuzzy_lookup_finds_words_within_the_budget_only() -> None:
    vocab = _vocabulary("mobiliteit", "digibank", "taal")
    assert vocab.fuzzy("mobilitiet")[0][0] == "mobiliteit"  # transposition counts once
    assert vocab.fuzzy("mobilitijt")[0] == ("mobiliteit", 2)
    assert vocab.fuzzy("digibamk") == [("digibank", 1)]
    assert vocab.fuzzy("digbamk") == []  # two edits in an 8-letter word is too many
    assert vocab.fuzzy("tall") == []  # short words get no typos at all


def test_a_logged_word_becomes_typo_reachable_from_its_second_use() -> None:
    vocab = Vocabulary()
    vocab.sighted("werkvloer", ("werkvloer",))
    assert vocab.fuzzy("werkvlor") == []  # once may itself be a typo in someone's notes
    vocab.sighted("werkvloer", ("werkvloer",))
    assert vocab.fuzzy("werkvlor") == [("werkvloer", 1)]
