"""The gateway's own replies come from the domain, per language."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.responses import DomainResponses, MissingResponseError
from bot.router import APOLOGY_RESPONSE

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture
def replies() -> DomainResponses:
    return DomainResponses.from_domain(PROJECT / "domain")


def test_apology_exists_in_both_languages(replies: DomainResponses) -> None:
    replies.require(APOLOGY_RESPONSE)
    german = replies.text(APOLOGY_RESPONSE, language="de")
    english = replies.text(APOLOGY_RESPONSE, language="en")
    assert german.startswith("Entschuldige") and english.startswith("Sorry")


def test_unknown_language_falls_back_to_the_unconditional_variation(
    replies: DomainResponses,
) -> None:
    assert replies.text(APOLOGY_RESPONSE, language="fr") == replies.text(
        APOLOGY_RESPONSE, language="de"
    )


def test_missing_response_fails_by_name(replies: DomainResponses) -> None:
    with pytest.raises(MissingResponseError, match="utter_nothing"):
        replies.require("utter_greet", "utter_nothing")


def test_a_domain_folder_is_read_whole(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text("responses:\n  utter_a:\n  - text: A\n", encoding="utf-8")
    (tmp_path / "b.yml").write_text(
        "responses:\n  utter_b:\n  - text: B\n  - text: Bee\n"
        "    condition: [{type: slot, name: language, value: en}]\n",
        encoding="utf-8",
    )
    replies = DomainResponses.from_domain(tmp_path)
    assert replies.text("utter_a", language="en") == "A"
    assert replies.text("utter_b", language="en") == "Bee"


def test_a_variation_whose_conditions_all_hold_wins(tmp_path: Path) -> None:
    (tmp_path / "greet.yml").write_text(
        "responses:\n"
        "  utter_hi:\n"
        "  - text: Hallo\n"
        "  - text: Hallo {first_name}\n"
        "    condition: [{type: slot, name: language, value: de},"
        " {type: slot, name: customer_verified, value: true}]\n"
        "  - text: Hello\n"
        "    condition: [{type: slot, name: language, value: en}]\n",
        encoding="utf-8",
    )
    replies = DomainResponses.from_domain(tmp_path)
    assert replies.text("utter_hi", language="de", customer_verified=True) == "Hallo {first_name}"
    assert replies.text("utter_hi", language="de", customer_verified=False) == "Hallo"
    assert replies.text("utter_hi", language="en", customer_verified=True) == "Hello"
