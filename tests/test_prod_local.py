"""How `make prod-local` lays out the production topology, and nginx accepting its config."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot import prod_local
from bot.processes import ProcessSpec
from bot.prod_local import ProdLocalSettings, Secrets, SetupError, Upstreams, nginx_config

PROJECT = Path(__file__).resolve().parent.parent
SHARED = Secrets("rasa-token", "widget-secret", "console-key")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "DATABASE_URL",
        "REDIS_URL",
        "RASA_TOKEN",
        "DATA_DIR",
        "PORT",
        "HOST",
        "RASA_PORT",
        "GATEWAY_PORTS",
        "RASA_PORTS",
        "TELEGRAM_MODE",
        "REST_API_TOKEN",
        "RASA_TRACKER_STORE_URL",
    ):
        monkeypatch.delenv(name, raising=False)


def specs(settings: ProdLocalSettings) -> dict[str, ProcessSpec]:
    found = prod_local.process_specs(
        settings, PROJECT, PROJECT / "m.tar.gz", SHARED, Path("/run/nginx.conf")
    )
    return {spec.name: spec for spec in found}


def test_two_gateways_and_two_rasa_servers_behind_nginx_share_postgres_redis_and_secrets() -> None:
    found = specs(ProdLocalSettings())
    assert list(found) == ["actions", "rasa-1", "rasa-2", "nginx", "gateway-1", "gateway-2"]
    for name in ("gateway-1", "gateway-2"):
        env = found[name].env
        assert env["RASA_URL"] == "http://127.0.0.1:5005"  # nginx, not one Rasa server
        assert env["REDIS_URL"] == "redis://127.0.0.1:6379/0"
        assert env["DATABASE_URL"].startswith("postgresql+psycopg://")
        assert (env["RASA_TOKEN"], env["WIDGET_SESSION_SECRET"], env["CONSOLE_SECRET_KEY"]) == (
            "rasa-token",
            "widget-secret",
            "console-key",
        )
    assert [found[n].env["PORT"] for n in ("gateway-1", "gateway-2")] == ["8001", "8002"]
    for name, port in (("rasa-1", "5006"), ("rasa-2", "5007")):
        argv = found[name].argv
        assert argv[argv.index("--port") + 1] == port
        assert argv[argv.index("--endpoints") + 1].endswith("run/rasa-endpoints.yml")
        assert found[name].env["RASA_TRACKER_STORE_DIALECT"] == "postgresql"


def test_polling_and_an_open_rest_channel_are_refused() -> None:
    with pytest.raises(SetupError, match="polling"):
        prod_local.check_settings(ProdLocalSettings(telegram_mode="polling"))
    with pytest.raises(SetupError, match="REST_API_TOKEN"):
        prod_local.check_settings(ProdLocalSettings(host="0.0.0.0", nginx_bin="sh"))
    prod_local.check_settings(
        ProdLocalSettings(host="0.0.0.0", nginx_bin="sh", rest_api_token=SecretStr("t"))
    )


def test_a_missing_nginx_is_named() -> None:
    with pytest.raises(SetupError, match="apt-get install nginx"):
        prod_local.check_settings(ProdLocalSettings(nginx_bin="no-such-nginx"))


def test_unreachable_services_are_reported_in_words() -> None:
    with pytest.raises(SetupError, match="Redis is not reachable"):
        prod_local.ensure_redis("redis://127.0.0.1:1/0")
    with pytest.raises(SetupError, match="PostgreSQL at .* is not reachable"):
        prod_local.ensure_database("postgresql+psycopg://postgres@127.0.0.1:1/nordlicht")
    with pytest.raises(SetupError, match="needs PostgreSQL"):
        prod_local.ensure_database("sqlite:///x.sqlite")


def test_nginx_balances_both_pools_and_passes_websockets() -> None:
    config = nginx_config(prod_local.upstreams(ProdLocalSettings()))
    gateways = config.split("upstream gateways {")[1].split("}")[0]
    assert "server 127.0.0.1:8001" in gateways and "server 127.0.0.1:8002" in gateways
    rasa = config.split("upstream rasa {")[1].split("}")[0]
    assert "server 127.0.0.1:5006" in rasa and "server 127.0.0.1:5007" in rasa
    assert "listen 127.0.0.1:8000;" in config and "listen 127.0.0.1:5005;" in config
    assert "proxy_set_header Upgrade $http_upgrade;" in config
    # The client's own address, never one it claims: the REST channel trusts loopback.
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in config
    assert "non_idempotent" not in config


def test_nginx_accepts_the_generated_configuration(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or shutil.which("/usr/sbin/nginx")
    if nginx is None:
        pytest.skip("nginx is not installed (`apt-get install nginx`)")
    run_dir = tmp_path / "run"
    for kind in prod_local.NGINX_TEMP_DIRS:
        (run_dir / "nginx" / kind).mkdir(parents=True)
    conf = run_dir / "nginx.conf"
    upstreams = Upstreams(
        "127.0.0.1:18000", ["127.0.0.1:18001"], "127.0.0.1:15005", ["127.0.0.1:15006"]
    )
    conf.write_text(nginx_config(upstreams, run_dir=run_dir))
    checked = subprocess.run(
        [nginx, "-t", "-e", "stderr", "-p", str(run_dir), "-c", str(conf)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr


def test_only_a_resolver_makes_nginx_look_the_servers_up_again() -> None:
    """Debian's nginx (prod-local) has no `resolve`; compose's nginx asks Docker's DNS."""
    fixed = Upstreams("8000", ["gateway-1:8000"], "5005", ["rasa-1:5005"])
    assert " resolve" not in nginx_config(fixed) and "zone" not in nginx_config(fixed)
    resolving = nginx_config(
        Upstreams("8000", ["gateway-1:8000"], "5005", ["rasa-1:5005"], resolver="127.0.0.11")
    )
    assert "  resolver 127.0.0.11 valid=10s ipv6=off;" in resolving
    assert "    server gateway-1:8000 resolve max_fails=1 fail_timeout=5s;" in resolving
    assert resolving.count("zone ") == 2
