"""A component's cache key and the model's name follow the project code it runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import rasa_own_code
from bot.rasa_own_code import OwnCodeFingerprint
from bot.source_closure import module_sources
from tests.conftest import PROJECT


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    package = tmp_path / "bot"
    package.mkdir()
    (package / "__init__.py").write_text('"""package"""\n', encoding="utf-8")
    (package / "component.py").write_text("import json\nfrom bot import helper\n", encoding="utf-8")
    (package / "helper.py").write_text("import bot.rules\n", encoding="utf-8")
    (package / "rules.py").write_text("WEIGHT = 1\n", encoding="utf-8")
    (package / "gateway.py").write_text("PORT = 1\n", encoding="utf-8")
    monkeypatch.setattr(rasa_own_code, "PROJECT", tmp_path)
    return tmp_path


class Component(OwnCodeFingerprint):
    """Stands for a Rasa component of the project's module bot/component.py."""


Component.__module__ = "bot.component"


def test_the_sources_are_the_module_and_the_project_modules_it_imports(project: Path) -> None:
    names = [
        path.relative_to(project).as_posix() for path in module_sources(project, ["bot.component"])
    ]

    assert names == ["bot/__init__.py", "bot/component.py", "bot/helper.py", "bot/rules.py"]


def test_a_change_in_imported_project_code_changes_the_cache_key(project: Path) -> None:
    before = Component.fingerprint_addon({})
    (project / "bot" / "gateway.py").write_text("PORT = 2\n", encoding="utf-8")
    assert Component.fingerprint_addon({}) == before

    (project / "bot" / "rules.py").write_text("WEIGHT = 2\n", encoding="utf-8")
    assert Component.fingerprint_addon({}) != before


def test_the_tokenizers_key_covers_the_spelling_the_classifiers_share() -> None:
    spelling = PROJECT / "bot" / "spelling.py"

    for module in ("bot.rasa_tokenizer", "bot.rasa_linear_intents", "bot.rasa_linear_topics"):
        assert spelling in module_sources(PROJECT, [module])
