"""Loyalty over the REST channel on the running stack: verification, answers, redemption."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import REPLIES, RunningStack

pytestmark = pytest.mark.e2e


def texts(replies: list[dict[str, object]]) -> list[str]:
    return [str(r.get("text", "")) for r in replies]


def test_anna_verified_by_member_number_and_birth_date_gets_her_balance(
    stack: RunningStack,
) -> None:
    chat = "e2e-anna"
    assert texts(stack.say(chat, "Wie viele Punkte habe ich?")) == [
        REPLIES.text("utter_ask_member_number", language="de")
    ]
    assert texts(stack.say(chat, "NL-100234")) == [
        REPLIES.text("utter_ask_birth_date", language="de")
    ]
    answer = texts(stack.say(chat, "12.04.1988"))
    assert answer == ["Danke, Anna, du bist verifiziert.", "Du hast 1.250 Punkte."]

    # A returning customer is not asked again, and is greeted by name.
    tier = " ".join(texts(stack.say(chat, "Welche Stufe habe ich?")))
    assert "Silber" in tier and "190 Punkte" in tier
    assert texts(stack.say(chat, "Hallo"))[0].startswith("Hallo Anna")

    # After "forget me" the chat is a stranger again.
    assert texts(stack.say(chat, "Vergiss mich bitte")) == [
        REPLIES.text("utter_forgotten", language="de")
    ]
    assert texts(stack.say(chat, "Wie viele Punkte habe ich?")) == [
        REPLIES.text("utter_ask_member_number", language="de")
    ]


def test_a_wrong_birth_date_gets_nothing_personal(stack: RunningStack) -> None:
    chat = "e2e-wrong-date"
    stack.say(chat, "Wie viele Punkte habe ich?")
    stack.say(chat, "NL-100234")
    replies = texts(stack.say(chat, "13.04.1988"))
    assert replies[0].startswith("Mitgliedsnummer und Geburtsdatum passen leider nicht zusammen")
    assert replies[1] == REPLIES.text("utter_ask_member_number", language="de")
    assert not any("1.250" in text or "Anna" in text for text in replies)
    rows = stack.query(
        "SELECT succeeded FROM verification_attempts WHERE sender_id = :chat", chat=f"rest:{chat}"
    )
    assert rows == [(False,)]


def test_john_redeems_a_voucher_in_english(stack: RunningStack) -> None:
    chat = "e2e-john"
    stack.say(chat, "I want to redeem my points for a voucher")
    answer = stack.say(chat, "NL-100876, 02.11.1979")
    assert answer[0]["text"] == "Thanks, John, you're verified."
    assert answer[1]["text"] == "You have 3,480 points. Which voucher would you like?"
    payloads = [b["payload"] for b in answer[1]["buttons"]]
    assert payloads == [f'/choose_reward{{"reward_points": {p}}}' for p in (500, 1000, 2500)]

    [confirm] = stack.say(chat, payloads[0])
    assert confirm["text"] == "Would you like to redeem 500 points for a €5 voucher?"
    [done] = stack.say(chat, confirm["buttons"][0]["payload"])
    assert re.search(
        r"Your voucher code: NL-[A-Z0-9]{4}-[A-Z0-9]{4} \(€5, valid until", done["text"]
    )
    assert done["text"].endswith("Your new balance: 2,980 points.")
    # A second tap on "yes" buys nothing more.
    [again] = stack.say(chat, confirm["buttons"][0]["payload"])
    assert again["text"] == REPLIES.text("utter_nothing_to_confirm", language="en")
    rows = stack.query(
        "SELECT count(*) FROM vouchers v JOIN customers c ON c.id = v.customer_id "
        "WHERE c.member_number = 'NL-100876'"
    )
    assert rows == [(1,)]


def test_the_rewards_answer_leads_to_redeeming_in_one_tap(stack: RunningStack) -> None:
    chat = "e2e-rewards-button"
    rules, offer = stack.say(chat, "Welche Gutscheine gibt es für Punkte?")
    assert "500 → 5 €" in str(rules["text"])
    assert offer["text"] == REPLIES.text("utter_offer_redeem", language="de")
    [button] = offer["buttons"]

    # The rewards were just read: the button goes straight to the verification, and a
    # second tap leaves it where it is.
    for _ in range(2):
        assert texts(stack.say(chat, button["payload"])) == [
            REPLIES.text("utter_ask_member_number", language="de")
        ]
    answer = stack.say(chat, "NL-100234, 12.04.1988")
    assert answer[1]["text"] == "Du hast 1.250 Punkte. Welchen Gutschein möchtest du?"
    assert [b["payload"] for b in answer[1]["buttons"]] == [
        f'/choose_reward{{"reward_points": {p}}}' for p in (500, 1000)
    ]
