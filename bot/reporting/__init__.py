"""Service reports for the shop: ratings, conversations, handoffs and understanding.

Every figure is computed for a date range [first, last] of whole days in the
shop's time zone, overall, per ISO week, per channel and per language.

Definitions (the issue's, implemented in `metrics` and `conversations`):

- CSAT: share of CSAT ratings (1–5) that are 4 or 5, in percent.
- NPS: percent promoters (9–10) minus percent detractors (0–6) among NPS
  ratings (0–10), from −100 to +100.
- CES: mean CES rating (1–7).
- Response rate: rated questions / asked questions (asked counts every question
  put, whether rated, declined or unanswered). A question belongs to the day it
  was asked.
- Conversation: one customer's run of messages with no gap over 60 minutes
  (Rasa's session expiry, which also counts from the customer's last message).
  It belongs to the day of its first customer message.
- Handoff rate: share of conversations during which a handoff was requested
  (between the first customer message and 60 minutes after the last one);
  containment is the share without one.
- Median wait: from a handoff's request to the first agent message after it
  (while the handoff was open), over the handoffs requested in the range that
  an agent answered.
- Fallback rate: share of the customer messages in Rasa's tracker store that
  Rasa classified as `nlu_fallback`; top intents come from the same events.

A figure without data is None (shown as "–"), never a division by zero.
"""
