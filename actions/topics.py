"""Topics: answering one chosen with a button, the further questions of a message that asks
several, and asking back when a message was not understood."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import answer_then_hand_over, request_handoff
from actions.rewards_offer import offer_redeem_after_rewards
from actions.topic_answers import further_topics, handoff_reason, utter_topic, utter_topics
from bot.question_segments import QUESTIONS
from bot.responses import DomainResponses

FALLBACK_INTENT = "nlu_fallback"
RETRIEVAL_INTENTS = ("faq", "club")
CLARIFY_TOPICS = 2


class ActionAnswerTopic(Action):  # type: ignore[misc]
    """Answers `/choose_topic{"topic": "faq/returns"}` from a menu or clarification button."""

    def name(self) -> str:
        return "action_answer_topic"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        topic = next(tracker.get_latest_entity_values("topic"), None)
        if topic is None or f"utter_{topic}" not in domain.get("responses", {}):
            dispatcher.utter_message(response="utter_help")
        else:
            await utter_topic(dispatcher, topic, tracker.get_slot("language") or "de")
            offer_redeem_after_rewards(dispatcher, tracker)
        return []


class ActionAnswerFurtherQuestions(Action):  # type: ignore[misc]
    """After the answer to a message, the answers to the other questions it asked
    ("Was kostet der Versand, und wie lange habe ich für die Rückgabe Zeit?"), in the
    customer's order. The NLU pipeline lists them (bot/rasa_further_questions.py); a
    message with one question lists none, and this says nothing. Where a part asked for a
    person ("Wie ist eure E-Mail? Und ich will mit jemandem sprechen."), the handoff
    follows, also after "are you a bot?" ("Bist du ein Bot? Ich will einen Menschen.").
    Otherwise, where the reply showed the rewards, it ends with the button to redeem."""

    def name(self) -> str:
        return "action_answer_further_questions"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        reason = handoff_reason(tracker.latest_message)
        # In the middle of a form (verification), the form goes on instead of a handoff.
        if reason and not tracker.active_loop_name:
            await answer_then_hand_over(dispatcher, tracker, domain, reason=reason)
        else:
            asked = further_topics(tracker.latest_message, domain.get("responses", {}))
            await utter_topics(dispatcher, tracker, asked)
            offer_redeem_after_rewards(dispatcher, tracker)
        return []


class ActionClarify(Action):  # type: ignore[misc]
    """First miss: offer the two likeliest topics; a second miss in a row: the way to a person.
    A message that mixes questions ("Versandkosten, und wie sammle ich Punkte?") reads as
    unclear to the intent classifier; when its parts were clear, they are answered instead,
    and where one part asked for a person, the conversation is handed over."""

    def name(self) -> str:
        return "action_clarify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if reason := handoff_reason(tracker.latest_message):
            await answer_then_hand_over(dispatcher, tracker, domain, reason=reason)
            return []
        answers = domain.get("responses", {})
        several = further_topics(tracker.latest_message, answers)
        # One question listed beside "are you a bot?" or a person, or several: each was clear.
        if several:
            await utter_topics(dispatcher, tracker, several)
            offer_redeem_after_rewards(dispatcher, tracker)
            return []
        if previous_message_was_a_miss(tracker.events):
            dispatcher.utter_message(response="utter_offer_human")
            await request_handoff(dispatcher, tracker, reason="not_understood")
            return []
        responses = DomainResponses(answers)
        language = tracker.get_slot("language") or "de"
        buttons = [
            {
                "title": responses.text(title, language=language),
                "payload": f'/choose_topic{{"topic": "{topic}"}}',
            }
            for topic in likely_topics(tracker.latest_message)
            if responses.has(title := topic_title_response(topic))
        ][:CLARIFY_TOPICS]
        dispatcher.utter_message(response="utter_clarify", buttons=buttons)
        return []


def topic_title_response(topic: str) -> str:
    """`faq/returns` → `utter_topic_faq_returns` (the button title in the domain)."""
    return "utter_topic_" + topic.replace("/", "_")


def likely_topics(parse_data: dict[str, Any]) -> list[str]:
    """faq/ and club/ topics, likeliest first: intent confidence × response-selector confidence."""
    selectors = parse_data.get("response_selector") or {}
    scored: dict[str, float] = {}
    for ranked in parse_data.get("intent_ranking") or []:
        intent = ranked.get("name")
        if intent not in RETRIEVAL_INTENTS:
            continue
        for candidate in (selectors.get(intent) or {}).get("ranking") or []:
            key = candidate.get("intent_response_key")
            if key:
                score = float(ranked.get("confidence", 0)) * float(candidate.get("confidence", 0))
                scored[key] = max(score, scored.get(key, 0.0))
    return sorted(scored, key=scored.__getitem__, reverse=True)


def previous_message_was_a_miss(events: list[dict[str, Any]]) -> bool:
    """Whether the customer's message before the current one was not understood either
    (one whose listed questions were answered was understood)."""
    user_turns = [e for e in events if e.get("event") == "user"]
    if len(user_turns) < 2:
        return False
    parse_data = user_turns[-2].get("parse_data") or {}
    intent = parse_data.get("intent") or {}
    return intent.get("name") == FALLBACK_INTENT and not parse_data.get(QUESTIONS)
