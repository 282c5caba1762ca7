"""The button to redeem under the rewards answer, and knowing when the rewards were just
shown, so that they are not shown twice in a row."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

REWARDS_TOPIC = "club/rewards"
REWARDS_ANSWER = f"utter_{REWARDS_TOPIC}"
REDEEM_OFFER = "utter_offer_redeem"


def offer_redeem_after_rewards(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """End a reply that showed the rewards with a button to redeem right here: a customer
    reading what points buy often wants one, and one whose "kann ich hier einlösen?" read
    as the rules gets there in one tap. Only as the reply's last message (WhatsApp takes a
    typed "1" for the newest message's button) and never while a form waits for details."""
    if tracker.active_loop_name:
        return
    replies = _replies(tracker.events)
    sent_before = replies[-1] if replies else []
    sent_now = [str(message.get("response")) for message in dispatcher.messages]
    if REWARDS_ANSWER in sent_before + sent_now:
        dispatcher.utter_message(response=REDEEM_OFFER)


def rewards_just_shown(tracker: Tracker) -> bool:
    """Whether the reply to the customer's previous message showed the rewards."""
    replies = _replies(tracker.events)
    return len(replies) >= 2 and REWARDS_ANSWER in replies[-2]


def _replies(events: list[dict[str, Any]]) -> list[list[str]]:
    """The responses the bot sent after each customer message, oldest first."""
    replies: list[list[str]] = []
    for event in events:
        if event.get("event") == "user":
            replies.append([])
        elif event.get("event") == "bot" and replies:
            response = (event.get("metadata") or {}).get("utter_action")
            if response:
                replies[-1].append(str(response))
    return replies
