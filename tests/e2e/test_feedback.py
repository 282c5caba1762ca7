"""Ratings in real conversations over the REST channel: asked, stored, acted on, once a day."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import HANDOFF_STARTS, REPLIES, RunningStack

pytestmark = pytest.mark.e2e


def texts(replies: list[dict[str, Any]]) -> list[str]:
    return [str(r.get("text", "")) for r in replies]


def ratings(stack: RunningStack, chat: str) -> list[tuple[Any, ...]]:
    return stack.query(
        "SELECT f.kind, f.status, f.score, f.comment, f.language, f.channel FROM feedback f "
        "JOIN conversations c ON c.id = f.conversation_id WHERE c.sender_id = :chat ORDER BY f.id",
        chat=f"rest:{chat}",
    )


def handoff_reasons(stack: RunningStack, chat: str) -> list[str]:
    rows = stack.query(
        "SELECT h.reason FROM handoffs h JOIN conversations c ON c.id = h.conversation_id "
        "WHERE c.sender_id = :chat ORDER BY h.id",
        chat=f"rest:{chat}",
    )
    return [reason for (reason,) in rows]


def test_thanks_after_an_answer_asks_once_a_day_and_keeps_the_comment(
    stack: RunningStack,
) -> None:
    chat = "e2e-rating-de"
    stack.say(chat, "Was kostet der Versand?")
    [question] = stack.say(chat, "Danke dir!")
    assert question["text"] == REPLIES.text("utter_ask_csat", language="de")
    assert [b["title"] for b in question["buttons"]] == ["1", "2", "3", "4", "5", "Nein danke"]

    assert question["buttons"][3]["payload"] == '/rate{"score": 4}'
    assert texts(stack.say(chat, question["buttons"][3]["payload"])) == [
        REPLIES.text("utter_rating_thanks_high", language="de")
    ]
    comment = "Ging schnell – <b>danke</b>!"
    assert texts(stack.say(chat, comment)) == [
        REPLIES.text("utter_feedback_comment_stored", language="de")
    ]
    assert ratings(stack, chat) == [("csat", "rated", 4, comment, "de", "rest")]

    # Later that day: another answer and thanks, and no second rating question.
    stack.say(chat, "Wie lange habe ich Zeit für eine Rückgabe?")
    assert texts(stack.say(chat, "Vielen Dank")) == [
        REPLIES.text("utter_you_are_welcome", language="de")
    ]
    assert len(ratings(stack, chat)) == 1


def test_no_thanks_is_respected(stack: RunningStack) -> None:
    chat = "e2e-rating-declined"
    stack.say(chat, "Kann ich auf Rechnung zahlen?")
    stack.say(chat, "danke")
    assert texts(stack.say(chat, "nein danke")) == [
        REPLIES.text("utter_rating_declined", language="de")
    ]
    stack.say(chat, "Wo gibt es eure Läden?")
    assert texts(stack.say(chat, "merci")) == [REPLIES.text("utter_you_are_welcome", language="de")]
    assert ratings(stack, chat) == [("csat", "declined", None, None, "de", "rest")]


def test_a_low_rating_gets_an_apology_and_the_person_it_asks_for(stack: RunningStack) -> None:
    chat = "e2e-rating-low-en"
    stack.say(chat, "how much is express delivery?")
    [question] = stack.say(chat, "thanks a lot")
    assert question["text"] == REPLIES.text("utter_ask_csat", language="en")

    [apology] = stack.say(chat, "2")
    assert apology["text"] == REPLIES.text("utter_rating_low", language="en")
    assert [b["payload"] for b in apology["buttons"]] == [
        "/request_human",
        "/request_callback",
        "/deny",
    ]
    handed = texts(stack.say(chat, "/request_human"))
    assert handed[0].startswith(HANDOFF_STARTS["en"]), handed
    assert handoff_reasons(stack, chat) == ["low_rating"]
    assert ratings(stack, chat) == [("csat", "rated", 2, None, "en", "rest")]


def test_feedback_on_request_is_a_recommendation_question(stack: RunningStack) -> None:
    chat = "e2e-nps-en"
    [question] = stack.say(chat, "I'd like to give you some feedback")
    assert question["text"] == REPLIES.text("utter_ask_nps", language="en")
    assert [b["title"] for b in question["buttons"]] == [str(n) for n in range(11)]

    [thanks] = stack.say(chat, "I'd give you a 9")
    assert thanks["text"].startswith("Thank you, that makes our day!")
    assert "https://www.nordlicht.example/bewertungen" in thanks["text"]
    assert texts(stack.say(chat, "no thanks")) == [
        REPLIES.text("utter_feedback_comment_skipped", language="en")
    ]
    assert ratings(stack, chat) == [("nps", "rated", 9, None, "en", "rest")]


def test_a_complaint_reaches_a_person_with_an_apology(stack: RunningStack) -> None:
    chat = "e2e-complaint-de"
    replies = texts(stack.say(chat, "Ich möchte mich beschweren, mein Paket kam kaputt an"))
    assert replies[0] == REPLIES.text("utter_complaint", language="de")
    assert replies[1].startswith(HANDOFF_STARTS["de"]), replies
    assert handoff_reasons(stack, chat) == ["complaint"]
