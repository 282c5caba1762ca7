"""Rasa's DIET classifier and response selector, loaded for answering rather than training.

Rasa loads a trained TensorFlow model by running one training step on an example,
only to create the weights before it reads them from disk. That step builds the
training graph and the optimizer, which a server that only answers never uses: on
this project's model (DIET and two response selectors) it held about 600 MB of the
Rasa server's 1,338 MB. These components create the weights with one prediction
instead, then read them; training and the stored model are Rasa's own, and the
answers are the same to the last digit
(tests/e2e/test_rasa_components.py compares them with Rasa's own loading).

This module runs inside the Rasa server (config.yml names its components), not in
the gateway.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.diet_classifier import DIET, DIETClassifier
from rasa.nlu.selectors.response_selector import DIET2BOW, DIET2DIET, ResponseSelector
from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel


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


class _DIET2BOW(_BuiltByPrediction, DIET2BOW):  # type: ignore[misc]
    """Rasa's DIET2BOW model, loaded without a training step."""


class _DIET2DIET(_BuiltByPrediction, DIET2DIET):  # type: ignore[misc]
    """Rasa's DIET2DIET model, loaded without a training step."""


@DefaultV1Recipe.register(
    [
        DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
        DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR,
    ],
    is_trainable=True,
)
class LeanDIETClassifier(DIETClassifier):  # type: ignore[misc]
    """Rasa's DIETClassifier; its model loads without a training step."""

    @staticmethod
    def model_class() -> type[RasaModel]:
        return _DIET


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LeanResponseSelector(ResponseSelector):  # type: ignore[misc]
    """Rasa's ResponseSelector; its model loads without a training step."""

    @staticmethod
    def model_class(use_text_as_label: bool) -> type[RasaModel]:
        return _DIET2DIET if use_text_as_label else _DIET2BOW
