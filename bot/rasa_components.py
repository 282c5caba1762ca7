"""Rasa's DIET classifier, loaded for answering rather than training, and kept by the cache.

Rasa loads a trained TensorFlow model by running one training step on an example,
only to create the weights before it reads them from disk. That step builds the
training graph and the optimizer, which a server that only answers never uses: on
this project's model (DIET and two response selectors, as it had then) it held about
600 MB of the Rasa server's 1,338 MB. This component creates the weights with one
prediction instead, then reads them; training and the stored model are Rasa's own, and the
answers are the same to the last digit
(tests/e2e/test_rasa_components.py compares them with Rasa's own loading).

Rasa's training cache keys each component on its settings and on what its training
messages hold. DIET writes entity tags into those messages, which the components trained
after it receive too: the key they were stored under never matched the key the next
training looked for, so they trained every time. This DIET trains on copies.

This module runs inside the Rasa server (config.yml names its components), not in
the gateway.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.diet_classifier import DIET, DIETClassifier
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel

from bot.rasa_own_code import OwnCodeFingerprint


class _BuiltByPrediction:
    """Mixin for Rasa's TensorFlow models: `load` without a training step."""

    @classmethod
    def load(
        cls,
        model_file_name: str,
        model_data_example: RasaModelData,
        predict_data_example: RasaModelData | None = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> RasaModel:
        """Create the weights by predicting once, read them, then trace prediction anew.

        Fine-tuning needs the optimizer, so it keeps Rasa's own loading.
        """
        if finetune_mode or predict_data_example is None:
            return super().load(  # type: ignore[misc]
                model_file_name, model_data_example, predict_data_example, finetune_mode,
                *args, **kwargs,
            )  # fmt: skip
        model: Any = cls(*args, **kwargs)
        model.compile(run_eagerly=kwargs.get("config", {}).get("run_eagerly"))
        model.run_inference(predict_data_example)
        # Every weight the prediction created must come from the file; the optimizer's
        # state in the file is the part left unread on purpose.
        model.load_weights(model_file_name).assert_existing_objects_matched().expect_partial()
        # The first prediction cached the label embeddings and traced them into its graph
        # with the initial weights: both are made again from the weights just read.
        model.prepared_for_prediction = False
        model._tf_predict_step = None
        model.run_inference(predict_data_example)
        return model


class _DIET(_BuiltByPrediction, DIET):  # type: ignore[misc]
    """Rasa's DIET model, loaded without a training step."""


@DefaultV1Recipe.register(
    [
        DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
        DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR,
    ],
    is_trainable=True,
)
class LeanDIETClassifier(OwnCodeFingerprint, DIETClassifier):  # type: ignore[misc]
    """Rasa's DIETClassifier; its model loads without a training step, and its training
    leaves the messages the cache keys on as they were."""

    def train(self, training_data: TrainingData) -> Resource:
        """Trains on copies of the messages: the entity tags DIET adds stay on the copies."""
        copies = TrainingData(
            training_examples=[
                Message(
                    data=message.data,
                    output_properties=set(message.output_properties),
                    time=message.time,
                    features=list(message.features),
                )
                for message in training_data.training_examples
            ],
            entity_synonyms=training_data.entity_synonyms,
            regex_features=training_data.regex_features,
            lookup_tables=training_data.lookup_tables,
            responses=training_data.responses,
        )
        return super().train(copies)

    @staticmethod
    def model_class() -> type[RasaModel]:
        return _DIET
