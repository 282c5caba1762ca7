"""A logistic regression over a message's words, character n-grams and meaning.

On this project's data a regularised linear model told the intents apart better than
DIET on the same words, and it tells the FAQ and Club topics apart too. Its inputs are
TF-IDF weighted character n-grams (1-4, within words) and words, with umlauts spelled
out, plus the multilingual sentence encoder's vector (bot/rasa_sentence_encoder.py),
which brings in paraphrases that share no word with the training examples, and one input
per lookup table of the training data (bot/lookup_phrases.py: "names a place in Austria").
Fitting takes seconds and has no random seed, so the model a measurement scored is the
model that is served.

No Rasa here: the Rasa components (bot/rasa_linear_intents.py,
bot/rasa_linear_topics.py) hand it texts, sentence vectors and lookup tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from bot.lookup_phrases import LookupPhrases
from bot.spelling import spell_out_umlauts

Ranking = list[tuple[str, float]]


def _normalised(text: str) -> str:
    """Lower case with umlauts spelled out, as the tokenizer sees words."""
    return spell_out_umlauts(text.lower())


@dataclass(frozen=True)
class LinearTextModel:
    """Fitted vectorizers and classifier; pickled into Rasa's model storage as a whole."""

    vectorizers: list[TfidfVectorizer]
    classifier: LogisticRegression
    sentence_weight: float
    lookups: LookupPhrases
    lookup_weight: float

    @classmethod
    def fit(
        cls,
        texts: list[str],
        sentences: np.ndarray,
        labels: list[str],
        *,
        C: float,
        sentence_weight: float,
        lookups: LookupPhrases,
        lookup_weight: float,
        word_ngrams: int = 1,
    ) -> LinearTextModel:
        """C is the inverse regularisation strength; sentence_weight scales the encoder's
        vector and lookup_weight the lookup tables' inputs against the unit-length n-gram
        vectors; word_ngrams is the longest run of words counted as one input ("pro Euro",
        "für Punkte")."""
        vectorizers = [
            TfidfVectorizer(
                analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True, preprocessor=_normalised
            ).fit(texts),
            TfidfVectorizer(
                analyzer="word",
                ngram_range=(1, word_ngrams),
                token_pattern=r"(?u)\b\w+\b",
                sublinear_tf=True,
                preprocessor=_normalised,
            ).fit(texts),
        ]
        classifier = LogisticRegression(C=C, max_iter=3000)
        model = cls(vectorizers, classifier, sentence_weight, lookups, lookup_weight)
        classifier.fit(model._features(texts, sentences), labels)
        return model

    def _features(self, texts: list[str], sentences: np.ndarray) -> csr_matrix:
        parts = [vectorizer.transform(texts) for vectorizer in self.vectorizers]
        parts.append(csr_matrix(sentences * self.sentence_weight))
        parts.append(self._lookup_features(texts))
        return hstack(parts).tocsr()

    def _lookup_features(self, texts: list[str]) -> csr_matrix:
        """One column per lookup table: lookup_weight where the text names one of its phrases."""
        columns = {name: index for index, name in enumerate(self.lookups.tables)}
        cells = [
            (row, columns[name])
            for row, text in enumerate(texts)
            for name in self.lookups.names(text)
        ]
        rows, cols = zip(*cells, strict=True) if cells else ((), ())
        values = [self.lookup_weight] * len(cells)
        return csr_matrix((values, (rows, cols)), shape=(len(texts), len(columns)))

    def rankings(self, texts: list[str], sentences: np.ndarray) -> list[Ranking]:
        """Every label with its probability, likeliest first, for each text."""
        labels = [str(label) for label in self.classifier.classes_]
        return [
            sorted(zip(labels, row.tolist(), strict=True), key=lambda pair: -pair[1])
            for row in self.classifier.predict_proba(self._features(texts, sentences))
        ]
