"""Language detection learnt from the NLU data: clear text switches, fragments keep the language."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.language import LanguageDetector
from bot.nlu_data import Example, read_examples

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector.from_nlu_dir(PROJECT / "data" / "nlu")


@pytest.mark.parametrize(
    "text",
    [
        "Hallo",
        "Danke",
        "Wie viele Punkte habe ich?",
        "Kann ich mit PayPal zahlen?",
        "Wo ist mein Paket",
        "Ich will mit einem Menschen sprechen",
        "Punkte?",
    ],
)
def test_german_text_is_german_even_in_an_english_conversation(
    detector: LanguageDetector, text: str
) -> None:
    assert detector.detect(text, current="en") == "de"


@pytest.mark.parametrize(
    "text",
    [
        "hello",
        "thanks",
        "bye",
        "What are your opening hours?",
        "Where is my parcel",
        "I want to talk to a human",
        "Hallo, how are you",
    ],
)
def test_english_text_is_english_even_in_a_german_conversation(
    detector: LanguageDetector, text: str
) -> None:
    assert detector.detect(text, current="de") == "en"


@pytest.mark.parametrize("text", ["ok", "1", "12.04.1988", "NL-100234", "hi", "ja", "👍", ""])
@pytest.mark.parametrize("current", ["de", "en"])
def test_fragments_keep_the_conversation_language(
    detector: LanguageDetector, text: str, current: str
) -> None:
    assert detector.detect(text, current=current) == current


def test_languages_come_from_the_data_folders(detector: LanguageDetector) -> None:
    assert set(detector.languages) == {"de", "en"}


def test_entity_annotations_are_stripped(tmp_path: Path) -> None:
    (tmp_path / "x.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: a\n  examples: |\n'
        "    - Meine Nummer ist [NL-100234](member_number)\n"
        '    - geboren am [12.04.1988]{"entity": "date"}\n',
        encoding="utf-8",
    )
    assert read_examples(tmp_path) == [
        Example("a", "Meine Nummer ist NL-100234"),
        Example("a", "geboren am 12.04.1988"),
    ]


def test_one_language_is_not_enough() -> None:
    with pytest.raises(ValueError, match="at least two languages"):
        LanguageDetector({"de": ["Hallo"]})
