"""Lookup tables name places (and whatever else a shop lists) however customers spell them,
by whole words only, and the real place lists keep the countries apart."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.lookup_phrases import LookupPhrases, phrase_words

PROJECT = Path(__file__).resolve().parent.parent

TABLES = LookupPhrases.from_rasa(
    [
        {"name": "places_austria", "elements": ["Wien", "St. Pölten", "Zell am See"]},
        {"name": "places_switzerland", "elements": ["Zürich", "Genève"]},
        {"name": "places_germany", "elements": ["Köln", "Sylt"]},
    ]
)


def _project_tables() -> LookupPhrases:
    """The place lists as Rasa reads them: each `lookup` block's name and its elements."""
    blocks = yaml.safe_load((PROJECT / "data" / "lookups" / "places.yml").read_text("utf-8"))
    return LookupPhrases.from_rasa(
        {
            "name": block["lookup"],
            "elements": [
                line.strip()[1:].strip()
                for line in block["examples"].splitlines()
                if line.strip().startswith("-")
            ],
        }
        for block in blocks["nlu"]
    )


PLACES = _project_tables()


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Ich wohne in Wien, wie lange dauert das?", ["places_austria"]),
        ("lieferung nach st. poelten?", ["places_austria"]),
        ("Sankt Pölten", []),
        ("Urlaub in Zell am See, kann ich dorthin bestellen", ["places_austria"]),
        ("zell", []),
        ("versand nach ZUERICH", ["places_switzerland"]),
        ("Do you deliver to Geneve?", ["places_switzerland"]),
        ("Köln oder Wien?", ["places_austria", "places_germany"]),
        ("Koelner Dom", []),
        ("Wienerwald", []),
        ("Do you ship to Zurich or Geneva?", ["places_switzerland"]),
        ("lieferung nach koln", ["places_germany"]),
        ("lieferung nach K\u006f\u0308ln", ["places_germany"]),  # o + a separate umlaut mark
        ("", []),
    ],
)
def test_a_message_names_a_table_by_whole_words_in_any_spelling(
    text: str, names: list[str]
) -> None:
    assert sorted(TABLES.names(text)) == names


def test_tables_are_sorted_by_name_and_repeated_names_merge() -> None:
    tables = LookupPhrases.from_rasa(
        [
            {"name": "b", "elements": ["Bern"]},
            {"name": "a", "elements": ["Graz"]},
            {"name": "b", "elements": ["Basel", "  "]},
        ]
    )
    assert list(tables.tables) == ["a", "b"]
    assert tables.tables["b"] == {("bern",), ("basel",)}
    assert tables.longest == 1


def test_a_table_read_from_a_file_by_rasa_is_a_phrase_a_line() -> None:
    tables = LookupPhrases.from_rasa([{"name": "places", "elements": "Wien\nSt. Gallen\n"}])
    assert tables.tables["places"] == {("wien",), ("st", "gallen")}
    assert tables.longest == 2


def test_spelling_drops_accents_and_spells_out_umlauts() -> None:
    assert phrase_words("Neuchâtel, Genève, Köln, Straße!") == (
        "neuchatel",
        "geneve",
        "koeln",
        "strasse",
    )


def test_no_tables_name_nothing() -> None:
    assert LookupPhrases.from_rasa([]).names("Wien") == []


@pytest.mark.parametrize(
    ("place", "table"),
    [
        ("Innsbruck", "places_austria"),
        ("Kärnten", "places_austria"),
        ("Vienna", "places_austria"),
        ("Lugano", "places_switzerland"),
        ("St. Gallen", "places_switzerland"),
        ("Basel-Stadt", "places_switzerland"),
        ("Regensburg", "places_germany"),
        ("Munich", "places_germany"),
        ("Sylt", "places_germany"),
        ("Dusseldorf", "places_germany"),
        ("Halle (Saale)", "places_germany"),
        ("Osterreich", "places_austria"),
    ],
)
def test_the_shops_place_lists_know_each_country(place: str, table: str) -> None:
    assert PLACES.names(f"ich wohne in {place}") == [table]


@pytest.mark.parametrize(
    "word", ["Essen", "Halle", "Baden", "Hof", "Zug", "Hamm", "Sitten", "Rügen", "Franken"]
)
def test_the_place_lists_leave_out_towns_named_like_everyday_words(word: str) -> None:
    assert PLACES.names(f"mit dem {word}") == []


def test_no_place_is_listed_for_two_countries() -> None:
    tables = PLACES.tables
    names = list(tables)
    for index, first in enumerate(names):
        for second in names[index + 1 :]:
            assert tables[first].isdisjoint(tables[second]), (first, second)
