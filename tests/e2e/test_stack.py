"""The real thing: `python -m bot run` with a trained model, Rasa, action server and gateway."""

from __future__ import annotations

import os
import signal
import time

import httpx
import pytest

from bot.rasa_auth import rasa_auth_headers
from tests.e2e.conftest import HANDOFF_STARTS, REPLIES, RESTART_DELAY_SECONDS, RunningStack

pytestmark = pytest.mark.e2e


def test_german_greeting(stack: RunningStack) -> None:
    replies = stack.say("e2e-de", "Hallo")
    assert [r["text"] for r in replies] == [
        REPLIES.text("utter_greet", language="de", customer_verified=False)
    ]
    assert replies[0]["recipient_id"] == "e2e-de"


def test_english_greeting(stack: RunningStack) -> None:
    replies = stack.say("e2e-en", "hello")
    assert [r["text"] for r in replies] == [
        REPLIES.text("utter_greet", language="en", customer_verified=False)
    ]


@pytest.mark.parametrize(
    ("text", "language"),
    [("Wann habt ihr geöffnet?", "de"), ("What are your opening hours?", "en")],
)
def test_faq_answer_from_the_response_selector(
    stack: RunningStack, text: str, language: str
) -> None:
    replies = stack.say(f"e2e-faq-{language}", text)
    assert [r["text"] for r in replies] == [
        REPLIES.text("utter_faq/store_hours", language=language)
    ]


@pytest.mark.parametrize(
    ("text", "language", "topic"),
    [
        ("Ich wohne in Dornbirn, wie lange dauert die Lieferung zu mir?", "de", "shipping_abroad"),
        ("Was zahl ich fürs Liefern nach Regensburg?", "de", "shipping_germany"),
        ("How long does a parcel to Lugano take?", "en", "shipping_abroad"),
        ("What does delivery to Schwerin cost?", "en", "shipping_germany"),
    ],
)
def test_a_town_the_examples_never_name_gets_its_countrys_shipping_answer(
    stack: RunningStack, text: str, language: str, topic: str
) -> None:
    replies = stack.say(f"e2e-place-{language}-{topic}", text)
    assert [r["text"] for r in replies] == [REPLIES.text(f"utter_faq/{topic}", language=language)]


@pytest.mark.parametrize(
    ("text", "language", "ask_for_team"),
    [
        ("Ich warte noch auf meine Lieferung, wo steckt die gerade?", "de", "Mitarbeiter"),
        ("I'm still waiting for my delivery, where is it right now?", "en", "agent"),
    ],
)
def test_a_question_about_an_order_says_what_the_bot_knows_and_offers_the_team(
    stack: RunningStack, text: str, language: str, ask_for_team: str
) -> None:
    chat = f"e2e-order-{language}"
    replies = stack.say(chat, text)
    answer = REPLIES.text("utter_faq/order_status", language=language)
    assert [r["text"] for r in replies] == [answer]
    assert [b["payload"] for b in replies[0]["buttons"]] == ["/request_human"]
    # The answer names a word to write instead of the button; that word must work.
    assert f"„{ask_for_team}“" in answer or f"“{ask_for_team}”" in answer
    handed = stack.say(chat, ask_for_team)
    assert handed[0]["text"].startswith(HANDOFF_STARTS[language]), handed


@pytest.mark.parametrize(
    ("text", "language", "topics"),
    [
        (
            "Was kostet der Versand nach Österreich? Und wie lange hab ich für die Rückgabe?",
            "de",
            ["faq/shipping_abroad", "faq/returns"],
        ),
        (
            "Wie lange hab ich für die Rückgabe? Und was kostet der Versand nach Österreich?",
            "de",
            ["faq/returns", "faq/shipping_abroad"],
        ),
        (
            "Can I pay with Klarna, and how long does express delivery take?",
            "en",
            ["faq/invoice", "faq/shipping_express"],
        ),
        (
            "How long does express delivery take, and can I pay with Klarna?",
            "en",
            ["faq/shipping_express", "faq/invoice"],
        ),
    ],
)
def test_a_message_with_several_questions_gets_an_answer_to_each_in_order(
    stack: RunningStack, text: str, language: str, topics: list[str]
) -> None:
    replies = stack.say(f"e2e-several-{language}-{topics[0]}", text)
    assert [r["text"] for r in replies] == [
        REPLIES.text(f"utter_{topic}", language=language) for topic in topics
    ]


def test_a_club_question_beside_a_service_question_is_answered_with_the_clubs_numbers(
    stack: RunningStack,
) -> None:
    replies = stack.say(
        "e2e-several-club", "wie sammel ich punkte und ab wann ist der versand gratis"
    )
    texts = [r["text"] for r in replies]
    assert REPLIES.text("utter_faq/shipping_germany", language="de") in texts
    assert any("1 Punkt pro vollem Euro" in t for t in texts)
    assert len(texts) == 2


@pytest.mark.parametrize(
    ("text", "language", "answer"),
    [
        (
            "Ich möchte mit einem Mitarbeiter sprechen. Und wie ist eure E-Mail-Adresse?",
            "de",
            "utter_faq/contact",
        ),
        ("Can I talk to a person? Also, what is your email address?", "en", "utter_faq/contact"),
        (
            "Wie kann ich das Regal zurückschicken? Ich will mit einem Mitarbeiter sprechen.",
            "de",
            "utter_faq/returns",
        ),
        ("Bist du ein Bot? Ich will lieber mit einem Menschen reden.", "de", "utter_bot_challenge"),
        ("Are you a bot? I'd rather talk to a human.", "en", "utter_bot_challenge"),
    ],
)
def test_a_question_or_are_you_a_bot_beside_asking_for_a_person_is_answered_before_the_handoff(
    stack: RunningStack, text: str, language: str, answer: str
) -> None:
    replies = [r["text"] for r in stack.say(f"e2e-then-person-{language}-{answer}", text)]
    assert replies[0] == REPLIES.text(answer, language=language)
    assert replies[1].startswith(HANDOFF_STARTS[language])
    assert len(replies) == 2


def test_an_empty_message_gets_the_clarifying_question(stack: RunningStack) -> None:
    replies = stack.say("e2e-empty", "")
    assert [r["text"] for r in replies] == [REPLIES.text("utter_clarify", language="de")]


def test_custom_action_answers_with_data_from_the_database(stack: RunningStack) -> None:
    stack.query("UPDATE loyalty_programmes SET welcome_bonus = 150")
    try:
        [reply] = stack.say("e2e-club", "Wie funktioniert der Nordlicht Club?")
        [english] = stack.say("e2e-club-en", "How does the Nordlicht Club work?")
    finally:
        stack.query("UPDATE loyalty_programmes SET welcome_bonus = 100")
    assert "150 Punkte Willkommensbonus" in reply["text"]
    assert "Bronze (0+), Silber (500+), Gold (1.500+)" in reply["text"]
    assert "welcome bonus of 150 points" in english["text"]
    assert "Bronze (0+), Silver (500+), Gold (1,500+)" in english["text"]


def test_every_message_and_reply_is_stored(stack: RunningStack) -> None:
    stack.say("e2e-store", "Danke dir")
    rows = stack.query(
        "SELECT m.direction, m.author, m.text, m.status FROM messages m "
        "JOIN conversations c ON c.id = m.conversation_id "
        "WHERE c.sender_id = :sender ORDER BY m.id",
        sender="rest:e2e-store",
    )
    assert rows == [
        ("in", "customer", "Danke dir", "answered"),
        ("out", "bot", REPLIES.text("utter_you_are_welcome", language="de"), "sent"),
    ]


# Every fact of shared/demo-company.md, asked over the REST channel in both languages:
# (question, language, fragments the answer must contain).
FACTS = [
    ("Wann habt ihr geöffnet?", "de", ["Mo–Sa von 10:00 bis 20:00 Uhr", "sonn- und feiertags"]),
    (
        "When are your stores open?",
        "en",
        ["Mon–Sat 10:00–20:00", "closed on Sundays and public holidays"],
    ),
    (
        "Wann ist der Kundenservice erreichbar?",
        "de",
        ["Mo–Fr von 8:00 bis 20:00 Uhr", "Sa von 9:00 bis 16:00 Uhr"],
    ),
    ("When can I reach customer service?", "en", ["Mon–Fri 8:00–20:00", "Sat 9:00–16:00"]),
    (
        "Was kostet der Versand?",
        "de",
        ["3–5 Werktagen", "4,95 €", "Ab 50 €", "1–2 Werktage für 9,95 €"],
    ),
    (
        "How much is shipping?",
        "en",
        ["3–5 business days", "€4.95", "free from an order value of €50", "€9.95"],
    ),
    ("Gibt es Expressversand?", "de", ["1–2 Werktagen", "9,95 €"]),
    ("Do you have express delivery?", "en", ["1–2 business days", "€9.95"]),
    (
        "Liefert ihr in die Schweiz?",
        "de",
        ["Österreich für 6,95 €", "Schweiz für 14,95 €", "4–7 Werktagen"],
    ),
    (
        "Do you ship to Austria?",
        "en",
        ["Austria for €6.95", "Switzerland for €14.95", "4–7 business days"],
    ),
    (
        "Wie funktioniert die Rückgabe?",
        "de",
        ["30 Tage", "Retourenlabel", "Kundenkonto", "Kassenbon", "14 Tagen"],
    ),
    (
        "How do returns work?",
        "en",
        ["30 days", "free return label", "customer account", "receipt", "14 days"],
    ),
    ("Wann bekomme ich mein Geld zurück?", "de", ["14 Tagen", "ursprüngliche Zahlungsmittel"]),
    ("When do I get my money back?", "en", ["14 days", "original payment method"]),
    (
        "Welche Zahlungsarten gibt es?",
        "de",
        ["PayPal, Visa, Mastercard, Klarna Rechnung, SEPA-Lastschrift und Apple Pay"],
    ),
    (
        "Which payment methods do you accept?",
        "en",
        ["PayPal, Visa, Mastercard, Klarna invoice, SEPA direct debit and Apple Pay"],
    ),
    ("Kann ich auf Rechnung zahlen?", "de", ["Klarna"]),
    ("Can I pay by invoice?", "en", ["Klarna"]),
    (
        "Wie ist eure Telefonnummer?",
        "de",
        ["service@nordlicht.example", "+49 40 1234567", "Mo–Fr 8–20 Uhr"],
    ),
    (
        "What's your phone number?",
        "en",
        ["service@nordlicht.example", "+49 40 1234567", "Mon–Fri 8–20"],
    ),
    (
        "Wie werde ich Mitglied im Nordlicht Club?",
        "de",
        ["kostenlos", "100 Punkte Willkommensbonus"],
    ),
    ("How do I join the loyalty club?", "en", ["free", "welcome bonus of 100 points"]),
    ("Wie viele Punkte bekomme ich pro Euro?", "de", ["1 Punkt pro vollem Euro"]),
    ("How many points do I get per euro?", "en", ["1 point for every full euro"]),
    ("Wie lange sind Punkte gültig?", "de", ["24 Monate"]),
    ("How long are points valid?", "en", ["24 months"]),
    (
        "Welche Stufen gibt es im Club?",
        "de",
        [
            "Bronze (ab 0 Punkten)",
            "Silber (ab 500)",
            "Gold (ab 1.500)",
            "kostenloser Standardversand",
            "kostenloser Expressversand",
            "48 Stunden",
            "Events",
        ],
    ),
    (
        "What tiers are there in the club?",
        "en",
        [
            "Bronze (from 0 points)",
            "Silver (from 500)",
            "Gold (from 1,500)",
            "free standard shipping",
            "free express shipping",
            "48-hour early access",
            "event invitations",
        ],
    ),
    (
        "Was kann ich mit meinen Punkten machen?",
        "de",
        ["500 → 5 €, 1.000 → 12 €, 2.500 → 35 €", "90 Tage"],
    ),
    ("What can I redeem points for?", "en", ["500 → €5, 1,000 → €12, 2,500 → €35", "90 days"]),
    ("Gibt es was zum Geburtstag?", "de", ["Bronze 50", "Silber 100", "Gold 250"]),
    ("Do I get a birthday bonus?", "en", ["Bronze 50", "Silver 100", "Gold 250"]),
]


@pytest.mark.parametrize(("question", "language", "fragments"), FACTS)
def test_every_demo_fact_is_answered_in_both_languages(
    stack: RunningStack, question: str, language: str, fragments: list[str]
) -> None:
    replies = stack.say(f"e2e-fact-{abs(hash(question))}", question)
    text = " ".join(r.get("text", "") for r in replies)
    assert [f for f in fragments if f not in text] == [], text


def test_rasa_keeps_its_trackers_in_the_configured_store(stack: RunningStack) -> None:
    stack.say("e2e-tracker", "Hallo")
    [(events,)] = stack.query(
        "SELECT count(*) FROM events WHERE sender_id = :sender",
        url=stack.tracker_store_url,
        sender="rest:e2e-tracker",
    )
    assert events > 0


def test_rasa_api_requires_a_token_signed_with_the_stack_secret(stack: RunningStack) -> None:
    """The gateway's own signed calls work: the stack only became healthy through them."""
    assert httpx.get(f"{stack.rasa_url}/status").status_code == 401
    assert httpx.get(f"{stack.rasa_url}/status", params={"token": "guess"}).status_code == 401
    forged = rasa_auth_headers("a-guessed-secret-that-is-long-enough-for-hs256")
    assert httpx.get(f"{stack.rasa_url}/status", headers=forged).status_code == 401


def test_killed_action_server_gives_an_apology_then_recovers(stack: RunningStack) -> None:
    os.kill(stack.pid("actions"), signal.SIGKILL)
    time.sleep(0.5)

    [reply] = stack.say("e2e-crash", "Wie funktioniert der Nordlicht Club?")

    assert reply["text"] == REPLIES.text("utter_service_unavailable", language="de")
    [(status, reason)] = stack.query(
        "SELECT m.status, m.failure_reason FROM messages m JOIN conversations c "
        "ON c.id = m.conversation_id WHERE c.sender_id = :sender AND m.direction = 'in'",
        sender="rest:e2e-crash",
    )
    assert status == "unanswered" and "no reply" in reason

    stack.wait_until_healthy(RESTART_DELAY_SECONDS + 60)
    [again] = stack.say("e2e-crash", "Wie funktioniert der Nordlicht Club?")
    assert "Willkommensbonus" in again["text"]


def test_ctrl_c_stops_all_three_processes(stack: RunningStack) -> None:
    pids = [stack.pid(name) for name in ("actions", "rasa", "gateway")]

    os.kill(stack.process.pid, signal.SIGINT)

    assert stack.process.wait(60) == 0
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert "All processes stopped." in stack.log.read_text()
