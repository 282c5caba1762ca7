"""Account, verification and redemption actions against a real database with the demo data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session, sessionmaker

from actions.account import ActionAccountAnswer
from actions.club import ActionClubAnswer
from actions.redemption import (
    ActionAnswerRewardConfirmation,
    ActionConfirmReward,
    ActionOfferRewards,
)
from actions.verification import (
    ActionForgetMe,
    ActionRememberRequest,
    ActionVerificationDone,
    ValidateVerificationForm,
)
from bot import identity
from bot.clock import business_today
from bot.demo import seed
from bot.formatting import format_date

PROJECT = Path(__file__).resolve().parent.parent
ANNA_CHAT = "rest:anna-chat"
JOHN_CHAT = "rest:john-chat"
LENA_CHAT = "rest:lena-chat"


def _domain() -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for file in sorted((PROJECT / "domain").glob("*.yml")):
        responses.update(
            (yaml.safe_load(file.read_text(encoding="utf-8")) or {}).get("responses") or {}
        )
    slots = {"member_number": {"type": "text"}, "birth_date": {"type": "text"}}
    return {"responses": responses, "slots": slots, "forms": {}}


DOMAIN = _domain()


def tracker(
    sender_id: str,
    *,
    intent: str = "account_balance",
    text: str = "x",
    language: str = "de",
    **slots: Any,
) -> Tracker:
    return Tracker(
        sender_id=sender_id,
        slots={"language": language, "customer_verified": True, **slots},
        latest_message={"text": text, "intent": {"name": intent}, "metadata": {}},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@pytest.fixture
def today_sessions(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The demo data reset today, with Anna, John and Lena linked to their chats."""
    with sessions.begin() as session:
        seed.reset(session, data=seed.read_demo_file(), today=business_today())
        for chat, member in [
            (ANNA_CHAT, "NL-100234"),
            (JOHN_CHAT, "NL-100876"),
            (LENA_CHAT, "NL-100555"),
        ]:
            identity.link_by_proof(
                session,
                channel="rest",
                sender_id=chat,
                member_number=member,
                via=identity.VerifiedVia.SHOP_LOGIN,
            )
    return sessions


pytestmark = pytest.mark.usefixtures("action_database", "today_sessions")


async def run(action: Any, track: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, track, DOMAIN)
    return dispatcher.messages, events


def in_days(days: int, language: str) -> str:
    return format_date(business_today() + dt.timedelta(days=days), language)


async def test_balance_in_german_and_english() -> None:
    [german], _ = await run(ActionAccountAnswer(), tracker(ANNA_CHAT))
    [english], _ = await run(ActionAccountAnswer(), tracker(JOHN_CHAT, language="en"))
    assert (german["response"], german["balance"]) == ("utter_account_balance", "1.250")
    assert english["balance"] == "3,480"


async def test_tier_progress_and_benefits() -> None:
    anna, _ = await run(ActionAccountAnswer(), tracker(ANNA_CHAT, intent="account_tier"))
    john, _ = await run(
        ActionAccountAnswer(), tracker(JOHN_CHAT, intent="account_tier", language="en")
    )
    assert [m["response"] for m in anna] == ["utter_account_tier", "utter_tier_benefits_silver"]
    assert (anna[0]["tier"], anna[0]["next_tier"], anna[0]["missing"]) == ("Silber", "Gold", "190")
    assert (anna[0]["earned"], anna[1]["birthday_bonus"]) == ("1.310", "100")
    assert [m["response"] for m in john] == ["utter_account_top_tier", "utter_tier_benefits_gold"]
    assert (john[0]["tier"], john[0]["earned"], john[1]["birthday_bonus"]) == (
        "Gold",
        "2,950",
        "250",
    )


async def test_points_expiring_within_90_days() -> None:
    [anna], _ = await run(ActionAccountAnswer(), tracker(ANNA_CHAT, intent="account_expiring"))
    [lena], _ = await run(ActionAccountAnswer(), tracker(LENA_CHAT, intent="account_expiring"))
    assert anna["response"] == "utter_account_expiring"
    assert anna["lots"] == f"120 Punkte am {in_days(38, 'de')}"
    # Lena's 80 points lapse in 111 days: outside the 90-day notice.
    assert lena["response"] == "utter_account_nothing_expiring"


async def test_history_lists_the_last_five_bookings_newest_first() -> None:
    [message], _ = await run(
        ActionAccountAnswer(), tracker(ANNA_CHAT, intent="account_history", language="en")
    )
    lines = message["bookings"].splitlines()
    assert len(lines) == 5
    assert lines[0] == f"{in_days(-26, 'en')}: +310 points – Online-Bestellung"
    assert lines[1] == f"{in_days(-60, 'en')}: −500 points – 5-€-Gutschein"


async def test_an_unlinked_chat_gets_nothing_personal() -> None:
    messages, events = await run(ActionAccountAnswer(), tracker("rest:stranger"))
    assert [m["response"] for m in messages] == ["utter_verification_needed"]
    assert events == [SlotSet("customer_verified", False)]


async def test_wanting_to_redeem_first_hears_the_rewards() -> None:
    messages, remembered = await run(
        ActionRememberRequest(),
        tracker("rest:new", intent="redeem_reward", customer_verified=False, language="en"),
    )
    assert [m["response"] for m in messages] == ["utter_club/rewards"]
    assert messages[0]["rewards"] == "500 → €5, 1,000 → €12, 2,500 → €35"
    assert SlotSet("pending_request", "redeem_reward") in remembered


async def test_the_question_is_remembered_and_answered_after_verification() -> None:
    _, remembered = await run(
        ActionRememberRequest(), tracker("rest:new", intent="account_tier", customer_verified=False)
    )
    assert SlotSet("pending_request", "account_tier") in remembered
    form = ValidateVerificationForm()
    dispatcher = CollectingDispatcher()
    slots = await form.validate_member_number(
        "meine nummer ist nl 100234", dispatcher, tracker("rest:new", customer_verified=False), {}
    )
    assert slots == {"member_number": "NL-100234"}
    slots = await form.validate_birth_date(
        "12. April 1988",
        dispatcher,
        tracker("rest:new", customer_verified=False, member_number="NL-100234"),
        {},
    )
    assert slots == {"birth_date": "1988-04-12", "customer_verified": True, "first_name": "Anna"}
    assert dispatcher.messages == []
    messages, _ = await run(
        ActionVerificationDone(),
        tracker("rest:new", pending_request="account_tier", first_name="Anna"),
    )
    assert [m["response"] for m in messages] == [
        "utter_verified",
        "utter_account_tier",
        "utter_tier_benefits_silver",
    ]


async def test_wrong_answers_reveal_nothing_and_lock_after_three() -> None:
    form = ValidateVerificationForm()
    chat = "rest:guesser"
    dispatcher = CollectingDispatcher()
    for guess in ("NL-100234 01.01.1990", "NL-999999 12.04.1988"):
        slots = await form.validate_member_number(
            guess, dispatcher, tracker(chat, customer_verified=False), {}
        )
        assert slots == {"member_number": None, "birth_date": None}
    assert [(m["response"], m["attempts_left"]) for m in dispatcher.messages] == [
        ("utter_verification_failed", 2),
        ("utter_verification_failed", 1),
    ]
    await form.validate_member_number(
        "NL-100234 02.02.1992", CollectingDispatcher(), tracker(chat, customer_verified=False), {}
    )
    unverified = tracker(chat, customer_verified=False)
    assert (
        await form.required_slots(["member_number", "birth_date"], dispatcher, unverified, {}) == []
    )
    messages, _ = await run(ActionVerificationDone(), unverified)
    assert [m["response"] for m in messages] == ["utter_verification_locked"]
    assert messages[0]["minutes"] == 15


async def test_unclear_input_is_asked_again() -> None:
    form = ValidateVerificationForm()
    dispatcher = CollectingDispatcher()
    stranger = tracker("rest:x", customer_verified=False)
    number = await form.validate_member_number("keine ahnung", dispatcher, stranger, {})
    date = await form.validate_birth_date("irgendwann im april", dispatcher, stranger, {})
    contact = await form.validate_member_number("/contact_shared", dispatcher, stranger, {})
    assert (number, date, contact) == ({"member_number": None}, {"birth_date": None}, number)
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_invalid_member_number",
        "utter_invalid_birth_date",
        "utter_contact_not_linked",
    ]


async def test_a_chat_linked_meanwhile_ends_the_form() -> None:
    form = ValidateVerificationForm()
    dispatcher = CollectingDispatcher()
    linked = tracker(ANNA_CHAT, customer_verified=True)
    assert await form.validate_member_number("/contact_shared", dispatcher, linked, {}) == {
        "member_number": None
    }
    assert await form.required_slots(["member_number", "birth_date"], dispatcher, linked, {}) == []
    assert dispatcher.messages == []


async def test_redeeming_a_voucher_end_to_end() -> None:
    [offer], _ = await run(ActionOfferRewards(), tracker(ANNA_CHAT, intent="redeem_reward"))
    assert offer["response"] == "utter_choose_reward"
    assert [(b["title"], b["payload"]) for b in offer["buttons"]] == [
        ("Gutschein über 5 € (500 Punkte)", '/choose_reward{"reward_points": 500}'),
        ("Gutschein über 12 € (1.000 Punkte)", '/choose_reward{"reward_points": 1000}'),
    ]
    [confirm], events = await run(
        ActionConfirmReward(), tracker(ANNA_CHAT, intent="choose_reward", reward_points=1000.0)
    )
    assert (confirm["response"], confirm["points"], confirm["value"]) == (
        "utter_confirm_reward",
        "1.000",
        "12 €",
    )
    key = next(e["value"] for e in events if e["name"] == "redemption_key")
    yes = tracker(ANNA_CHAT, intent="affirm", reward_points=1000.0, redemption_key=key)
    [done], cleared = await run(ActionAnswerRewardConfirmation(), yes)
    [again], _ = await run(ActionAnswerRewardConfirmation(), yes)
    assert done["response"] == "utter_reward_redeemed"
    assert (done["balance"], done["valid_until"]) == ("250", in_days(90, "de"))
    assert again["response"] == "utter_reward_already_redeemed"
    assert again["code"] == done["code"] and again["balance"] == "250"
    assert SlotSet("redemption_key", None) in cleared


async def test_too_few_points_and_a_no_keep_the_balance() -> None:
    [lena], _ = await run(ActionOfferRewards(), tracker(LENA_CHAT, intent="redeem_reward"))
    assert (lena["response"], lena["missing"], lena["value"]) == (
        "utter_reward_out_of_reach",
        "420",
        "5 €",
    )
    no = tracker(JOHN_CHAT, intent="deny", reward_points=500.0, redemption_key="k")
    [kept], _ = await run(ActionAnswerRewardConfirmation(), no)
    assert kept["response"] == "utter_redemption_cancelled"
    [balance], _ = await run(ActionAccountAnswer(), tracker(JOHN_CHAT))
    assert balance["balance"] == "3.480"


async def test_forget_me_unlinks_this_chat() -> None:
    [message], events = await run(ActionForgetMe(), tracker(JOHN_CHAT, intent="forget_me"))
    [again], _ = await run(ActionForgetMe(), tracker(JOHN_CHAT, intent="forget_me"))
    assert (message["response"], again["response"]) == (
        "utter_forgotten",
        "utter_nothing_to_forget",
    )
    assert SlotSet("customer_verified", False) in events
    [after], _ = await run(ActionAccountAnswer(), tracker(JOHN_CHAT))
    assert after["response"] == "utter_verification_needed"


async def test_club_birthday_answer_adds_the_customers_own_bonus() -> None:
    track = tracker(LENA_CHAT, intent="club")
    track.latest_message["response_selector"] = {
        "club": {"response": {"intent_response_key": "club/birthday"}}
    }
    messages, _ = await run(ActionClubAnswer(), track)
    assert [m["response"] for m in messages] == [
        "utter_club/birthday",
        "utter_account_birthday_bonus",
    ]
    assert (messages[1]["tier"], messages[1]["birthday_bonus"]) == ("Bronze", "50")
