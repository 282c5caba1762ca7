"""A trained model is named after its inputs, so unchanged data reuses it."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.model import fingerprint, model_path, train_if_changed, training_cache


def test_fingerprint_changes_with_data_domain_and_config(project: Path) -> None:
    seen = {fingerprint(project)}
    for file in ("data/nlu/de/smalltalk.yml", "domain/faq.yml", "config.yml"):
        with (project / file).open("a", encoding="utf-8") as handle:
            handle.write("\n# changed\n")
        seen.add(fingerprint(project))
    assert len(seen) == 4


def test_fingerprint_ignores_files_that_do_not_train(project: Path) -> None:
    before = fingerprint(project)
    (project / "README.md").write_text("notes", encoding="utf-8")
    (project / "models" / "other.tar.gz").write_bytes(b"x")
    assert fingerprint(project) == before


def test_an_existing_model_is_reused_without_running_rasa(project: Path) -> None:
    existing = model_path(project)
    existing.write_bytes(b"model")
    assert train_if_changed(project, rasa_bin=project / "no-such-rasa") == existing


def test_a_new_domain_file_changes_the_fingerprint(project: Path) -> None:
    before = fingerprint(project)
    (project / "domain" / "extra.yml").write_text("responses: {}\n", encoding="utf-8")
    assert fingerprint(project) != before


def test_the_training_cache_is_outside_the_checkout_unless_configured(tmp_path: Path) -> None:
    assert training_cache({"XDG_CACHE_HOME": str(tmp_path)}) == (
        tmp_path / "nordlicht" / "rasa-training"
    )
    assert training_cache({"RASA_CACHE_DIRECTORY": "/srv/cache"}) == Path("/srv/cache")
    assert training_cache({}).is_relative_to(Path.home())


def test_the_code_of_the_pipelines_own_components_trains_too(project: Path) -> None:
    (project / "bot").mkdir()
    (project / "bot" / "component.py").write_text("from bot import helper\n", encoding="utf-8")
    (project / "bot" / "helper.py").write_text("import bot.rules\n", encoding="utf-8")
    (project / "bot" / "rules.py").write_text("WEIGHT = 1\n", encoding="utf-8")
    (project / "bot" / "gateway.py").write_text("PORT = 1\n", encoding="utf-8")
    config = yaml.safe_load((project / "config.yml").read_text(encoding="utf-8"))
    config["pipeline"].append({"name": "bot.component.Thing"})
    (project / "config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    seen = {fingerprint(project)}

    (project / "bot" / "gateway.py").write_text("PORT = 2\n", encoding="utf-8")
    assert fingerprint(project) in seen
    for module in ("component", "helper", "rules"):
        with (project / "bot" / f"{module}.py").open("a", encoding="utf-8") as handle:
            handle.write("# changed\n")
        seen.add(fingerprint(project))
    assert len(seen) == 4
