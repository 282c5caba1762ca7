"""Rasa pipeline step: words split at whitespace, with German umlauts spelled out.

Customers often type without umlauts ("rueckgabe", "gross") while most training
examples have them ("Rückgabe", "groß"). To the word features these were different
words, and only some character n-grams joined them. Spelling ä, ö, ü and ß out as
ae, oe, ue and ss in the tokens makes both spellings one word for every featurizer.
Only the tokens change: the message text, and with it what actions and the
conversation log read, keeps the customer's spelling, and the tokens' positions
still point into it.

Runs inside Rasa's training and server (config.yml names it), not in the gateway.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from bot.rasa_own_code import OwnCodeFingerprint
from bot.spelling import spell_out_umlauts


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class UmlautSpellingTokenizer(OwnCodeFingerprint, WhitespaceTokenizer):  # type: ignore[misc]
    """Rasa's whitespace tokenizer whose tokens spell umlauts out."""

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        """Rasa's tokens, with the featurizers' view of each word (text and lemma) respelled."""
        tokens: list[Token] = super().tokenize(message, attribute)
        for token in tokens:
            token.text = spell_out_umlauts(token.text)
            token.lemma = spell_out_umlauts(token.lemma)
        return tokens
