"""docker-compose.yml runs the same topology as `make prod-local` (bot/prod_local.py).

Docker cannot run on the machines that test this project, so the compose file, the
Dockerfile and deploy/ are read as data and compared with what prod-local builds from
its defaults: the process roles and counts, each process's command and environment
names, the nginx and Rasa configuration, and how secrets reach the containers. When
prod-local changes (another process, another variable, another nginx setting), these
tests fail until the deployment files follow.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args
from urllib.parse import urlsplit

import pytest
import yaml
from packaging.specifiers import SpecifierSet
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot import rasa_endpoints
from bot.processes import ProcessSpec, base_environment
from bot.prod_local import ProdLocalSettings, Secrets, Upstreams, nginx_config, process_specs
from bot.settings import GatewaySettings, RedisSettings, StackSettings

PROJECT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = PROJECT / "docker-compose.yml"
DOCKERFILE = PROJECT / "Dockerfile"
NGINX_CONF = PROJECT / "deploy" / "nginx.conf"
DOCKER_DNS = "127.0.0.11"
"""Docker's DNS inside a compose network: nginx asks it again for recreated containers."""
RASA_ENDPOINTS = PROJECT / "deploy" / "endpoints.yml"

SUPPORT_SERVICES = frozenset({"postgres", "redis", "migrate"})
"""Services prod-local has outside its process list: the local servers and `db prepare`."""
MACHINE_LOCAL = frozenset({"HOST", "PORT", "SANIC_HOST", "DATA_DIR", "PYTHONPATH"})
"""Variables whose value depends on where a process runs (checked on their own, if at all)."""
SECRET_NAME = re.compile(r"(TOKEN|SECRET|PASSWORD|_KEY)$")
"""Names of variables that hold secrets (REDIS_KEY_PREFIX does not)."""
INTERPOLATION = re.compile(
    r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
)
URL_PASSWORD = re.compile(r"://[^:/@\s]+:(?P<password>[^@]+)@")
PORT_FLAGS = frozenset({"-p", "--port"})


def _secret_names() -> frozenset[str]:
    """prod-local's secrets: the SecretStr settings it hands to its processes."""
    return frozenset(
        name.upper()
        for name, field in ProdLocalSettings.model_fields.items()
        if _is_secret(field.annotation)
    )


def _is_secret(annotation: object) -> bool:
    """SecretStr, also inside `| None` and Annotated[...] (constrained secrets)."""
    return annotation is SecretStr or any(_is_secret(arg) for arg in get_args(annotation))


REQUIRED_SECRETS = _secret_names() | {"POSTGRES_PASSWORD"}
"""Compose must refuse to start without these (`${VAR:?message}`), never invent them."""
OPERATOR_ENV = {name: f"value-of-{name.lower().replace('_', '-')}" for name in REQUIRED_SECRETS}
"""What an operator's .env would hold: URL-safe values, as docs/deployment.md asks."""


class MissingVariableError(KeyError):
    """A `${VAR:?message}` whose variable is unset: docker compose stops with the message."""


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """`value` as docker compose substitutes it from `env` (${VAR}, :- and :? forms, $$)."""

    def substitute(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        current = env.get(name)
        unset = current is None or (op is not None and op.startswith(":") and current == "")
        if op is not None and op.endswith("-"):
            return arg if unset or current is None else current
        if op is not None and op.endswith("?"):
            if unset or current is None:
                raise MissingVariableError(name)
            return current
        return current or ""

    return INTERPOLATION.sub(substitute, value.replace("$$", "\0")).replace("\0", "$")


def interpolate_all(node: Any, env: Mapping[str, str]) -> Any:
    """The whole parsed compose file with every string interpolated."""
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, dict):
        return {key: interpolate_all(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate_all(item, env) for item in node]
    return node


def strings(node: Any) -> Iterator[str]:
    """Every string value anywhere in a parsed YAML document."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


@dataclass(frozen=True)
class Dockerfile:
    """The instructions the compose services rely on."""

    base: str
    env: dict[str, str]
    copied: list[str]
    runs: list[str]
    user: str | None
    cmd: list[str]
    args: list[str]


def read_dockerfile() -> Dockerfile:
    """Parses the Dockerfile (continuations joined, comments dropped)."""
    logical: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    base, user, cmd = "", None, []
    env: dict[str, str] = {}
    copied: list[str] = []
    runs: list[str] = []
    args: list[str] = []
    for line in logical:
        instruction, _, rest = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            base = rest.split()[0]
        elif instruction == "ENV":
            for pair in shlex.split(rest):
                name, _, value = pair.partition("=")
                env[name] = value
        elif instruction == "COPY":
            words = [w for w in shlex.split(rest) if not w.startswith("--")]
            copied += words[:-1]
        elif instruction == "RUN":
            runs.append(rest)
        elif instruction == "USER":
            user = rest.strip()
        elif instruction == "CMD":
            cmd = json.loads(rest)
        elif instruction == "ARG":
            args.append(rest.partition("=")[0].strip())
    return Dockerfile(base, env, copied, runs, user, cmd, args)


@dataclass(frozen=True)
class ProdLocal:
    """prod-local's processes as `make prod-local` builds them from its defaults."""

    settings: ProdLocalSettings
    specs: dict[str, ProcessSpec]
    inherited: frozenset[str]
    """Names every process gets from the caller's environment (not prod-local's choice)."""

    def own_env(self, name: str) -> dict[str, str]:
        """The variables prod-local itself sets for process `name`."""
        return {k: v for k, v in self.specs[name].env.items() if k not in self.inherited}


@pytest.fixture
def prod_local(monkeypatch: pytest.MonkeyPatch) -> ProdLocal:
    """Built in an environment without the settings' variables, so the defaults count."""
    for name in {*ProdLocalSettings.model_fields, *GatewaySettings.model_fields}:
        monkeypatch.delenv(name.upper(), raising=False)
    settings = ProdLocalSettings()
    specs = process_specs(
        settings,
        PROJECT,
        PROJECT / "models" / "nordlicht-test.tar.gz",
        Secrets("rasa-token", "widget-secret", "console-key"),
        PROJECT / "var" / "run" / "nginx.conf",
    )
    return ProdLocal(settings, {spec.name: spec for spec in specs}, frozenset(os.environ))


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    """docker-compose.yml as written, `${...}` left in place."""
    document = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def compose(raw: dict[str, Any]) -> dict[str, Any]:
    """docker-compose.yml as docker compose sees it with the operator's .env."""
    document = interpolate_all(raw, OPERATOR_ENV)
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def dockerfile() -> Dockerfile:
    return read_dockerfile()


def services(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = document["services"]
    assert isinstance(found, dict)
    return found


def named(document: dict[str, Any], role: str) -> list[str]:
    """Services of one role: `gateway` gives gateway-1, gateway-2, ..."""
    return sorted(n for n in services(document) if re.fullmatch(rf"{role}-\d+", n))


def environment(service: dict[str, Any]) -> dict[str, str | None]:
    """A service's environment as a mapping (None: passed on from the operator's shell)."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = [item.partition("=") for item in env]
        return {name: (value if sep else None) for name, sep, value in pairs}
    return {name: None if value is None else str(value) for name, value in env.items()}


def effective_env(service: dict[str, Any], dockerfile: Dockerfile) -> dict[str, str | None]:
    """What a process of the app image sees: the image's ENV, then the service's."""
    return {**dockerfile.env, **environment(service)}


def command(service: dict[str, Any], dockerfile: Dockerfile) -> list[str]:
    """The service's command, or the image's CMD."""
    cmd = service.get("command", dockerfile.cmd)
    return shlex.split(cmd) if isinstance(cmd, str) else [str(part) for part in cmd]


def option(argv: list[str], name: str) -> str:
    """The value of `--name value` or `--name=value`."""
    for index, arg in enumerate(argv):
        if arg == name:
            return argv[index + 1]
        if arg.startswith(f"{name}="):
            return arg.partition("=")[2]
    raise AssertionError(f"{name} missing from {argv}")


def option_names(argv: list[str]) -> list[str]:
    return [arg.partition("=")[0] for arg in argv if arg.startswith("-")]


def without_ports(argv: list[str]) -> list[str]:
    """argv with the port values blanked: ports are the only machine-local arguments here."""
    return ["<port>" if i and argv[i - 1] in PORT_FLAGS else a for i, a in enumerate(argv)]


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    """Service name to condition (the short list form means service_started)."""
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: "service_started" for name in deps}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def mounts(service: dict[str, Any]) -> dict[str, Path]:
    """Container path to host path of the service's bind mounts."""
    found: dict[str, Path] = {}
    for volume in service.get("volumes") or []:
        source, target = str(volume).split(":")[:2]
        if source.startswith((".", "/")):
            found[target] = (PROJECT / source).resolve()
    return found


def app_services(document: dict[str, Any]) -> list[str]:
    return [*named(document, "gateway"), "actions", "migrate"]


# --- the topology ---------------------------------------------------------------------


def test_compose_runs_the_same_processes_as_prod_local(
    compose: dict[str, Any], prod_local: ProdLocal
) -> None:
    """A process added to prod-local (or a count changed) needs its service here too."""
    assert set(services(compose)) - SUPPORT_SERVICES == set(prod_local.specs)
    assert len(named(compose, "gateway")) == len(prod_local.settings.gateway_ports)
    assert len(named(compose, "rasa")) == len(prod_local.settings.rasa_ports)
    assert "actions" in services(compose) and "nginx" in services(compose)


def test_start_order_has_no_cycle_and_waits_for_what_it_promises(compose: dict[str, Any]) -> None:
    """Compose refuses cycles, a healthy-condition on a service without a healthcheck, and a
    completed-condition on a service it restarts."""
    graph = {name: depends_on(service) for name, service in services(compose).items()}
    for name, deps in graph.items():
        for target, condition in deps.items():
            assert target in graph, f"{name} depends on unknown {target}"
            if condition == "service_healthy":
                assert "healthcheck" in services(compose)[target], (name, target)
            if condition == "service_completed_successfully":
                assert services(compose)[target].get("restart") == "no", (name, target)

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"dependency cycle {' -> '.join((*path, name))}"
        for target in graph[name]:
            visit(target, (*path, name))

    for name in graph:
        visit(name, ())


def test_migrations_run_once_before_the_gateways_and_actions(compose: dict[str, Any]) -> None:
    """prod-local runs `python -m bot db prepare` before it starts anything that uses the DB."""
    migrate = services(compose)["migrate"]
    assert migrate["command"] == ["python", "-m", "bot", "db", "prepare"]
    assert depends_on(migrate) == {"postgres": "service_healthy"}
    for name in [*named(compose, "gateway"), "actions"]:
        assert depends_on(services(compose)[name])["migrate"] == "service_completed_successfully"


def test_app_services_are_built_from_the_dockerfile(compose: dict[str, Any]) -> None:
    """One image for the gateways, the action server and the migrations."""
    images = set()
    for name in app_services(compose):
        service = services(compose)[name]
        build = service["build"]
        context = build if isinstance(build, str) else build["context"]
        dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile")
        assert (PROJECT / context / str(dockerfile)).resolve() == DOCKERFILE, name
        images.add(service["image"])
    assert len(images) == 1


def test_dockerfile_python_is_the_one_the_project_is_locked_for(dockerfile: Dockerfile) -> None:
    """requirements/app.txt is pinned for pyproject's Python; another one fails to install."""
    requires = re.search(
        r'^requires-python\s*=\s*"([^"]+)"',
        (PROJECT / "pyproject.toml").read_text(encoding="utf-8"),
        re.MULTILINE,
    )
    assert requires is not None
    match = re.fullmatch(r"python:(\d+\.\d+)(?:[.-].*)?", dockerfile.base)
    assert match is not None, dockerfile.base
    assert SpecifierSet(requires[1]).contains(f"{match[1]}.0"), (dockerfile.base, requires[1])
    assert any("-r requirements/app.txt" in run for run in dockerfile.runs)
    assert "requirements/app.txt" in dockerfile.copied


def test_the_image_installs_no_test_tools_and_the_dev_environment_adds_them() -> None:
    """The app image installs app.txt only; `make install` adds dev.txt's tools on top."""

    def pinned(name: str) -> dict[str, str]:
        lines = (PROJECT / "requirements" / name).read_text(encoding="utf-8").splitlines()
        return dict(line.split("==") for line in lines if "==" in line)

    app, dev = pinned("app.txt"), pinned("dev.txt")
    assert {"pytest", "ruff", "mypy", "selenium"} <= dev.keys()
    assert not dev.keys() & app.keys()
    assert {"fastapi", "rasa-sdk", "python-telegram-bot", "twilio"} <= app.keys()
    assert "-r app.txt" in (PROJECT / "requirements" / "dev.txt").read_text(encoding="utf-8")


def test_image_holds_what_the_gateway_reads_and_runs_without_root(
    dockerfile: Dockerfile,
) -> None:
    """The gateway reads the domain and data/nlu at run time; root in a container is avoidable."""
    copied = {path.rstrip("/") for path in dockerfile.copied}
    defaults = GatewaySettings.model_fields
    for needed in ("bot", "actions", str(defaults["domain_path"].default)):
        assert needed in copied
    assert str(defaults["nlu_data_dir"].default) in copied
    assert dockerfile.user not in (None, "root", "0")
    assert dockerfile.env["HOST"] == "0.0.0.0"


def test_dockerignore_keeps_secrets_and_local_state_out_but_not_the_code(
    dockerfile: Dockerfile,
) -> None:
    """The build context must not carry .env or the venvs, nor hide what the Dockerfile copies."""
    patterns = [
        line.strip()
        for line in (PROJECT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for private in (".env", ".venv", ".venv-rasa", ".git", "models", "var"):
        assert private in patterns
    for source in dockerfile.copied:
        parts = Path(source.rstrip("/")).parts
        prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
        hidden = [p for p in patterns for prefix in prefixes if fnmatch.fnmatch(prefix, p)]
        assert not hidden, (source, hidden)
    assert ".env" in (PROJECT / ".gitignore").read_text(encoding="utf-8").splitlines()


# --- commands -------------------------------------------------------------------------


def test_gateways_and_actions_run_prod_locals_commands(
    compose: dict[str, Any], dockerfile: Dockerfile, prod_local: ProdLocal
) -> None:
    """`python` in the image is prod-local's sys.executable; the arguments are the same."""
    for name in named(compose, "gateway"):
        argv = prod_local.specs[name].argv
        assert command(services(compose)[name], dockerfile) == ["python", *argv[1:]]
    actions = command(services(compose)["actions"], dockerfile)
    assert without_ports(actions) == without_ports(
        ["python", *prod_local.specs["actions"].argv[1:]]
    )


def test_rasa_servers_run_like_prod_locals(compose: dict[str, Any], prod_local: ProdLocal) -> None:
    """Same options (API behind the token, endpoints, credentials); the pinned Rasa image."""
    pinned = re.search(
        r"^rasa==(\S+)$",
        (PROJECT / "requirements" / "rasa.txt").read_text(encoding="utf-8"),
        re.MULTILINE,
    )
    assert pinned is not None
    for name in named(compose, "rasa"):
        service = services(compose)[name]
        assert service["image"] == f"rasa/rasa:{pinned[1]}"
        expected = prod_local.specs[name].argv[1:]
        argv = [str(arg) for arg in service["command"]]
        assert argv[0] == expected[0] == "run"
        assert option_names(argv) == option_names(expected)
        assert option(argv, "--jwt-secret") == OPERATOR_ENV["RASA_TOKEN"]
        assert option(argv, "--jwt-method") == option(expected, "--jwt-method") == "HS256"
        assert option(argv, "--interface") == "0.0.0.0"


def test_rasa_servers_mount_the_model_endpoints_and_credentials(
    compose: dict[str, Any], prod_local: ProdLocal
) -> None:
    """The containers read the trained models, deploy/endpoints.yml and the project's
    credentials.yml at the paths their command names."""
    for name in named(compose, "rasa"):
        service = services(compose)[name]
        argv = [str(arg) for arg in service["command"]]
        mounted = mounts(service)
        model_dirs = [t for t, s in mounted.items() if s == PROJECT / "models"]
        assert model_dirs, f"{name} does not mount ./models"
        assert any(option(argv, "--model").startswith(t.rstrip("/") + "/") for t in model_dirs)
        assert mounted[option(argv, "--endpoints")] == RASA_ENDPOINTS
        credentials = option(prod_local.specs[name].argv, "--credentials")
        assert mounted[option(argv, "--credentials")] == PROJECT / credentials
        # config.yml names components of bot/: Rasa imports them from its PYTHONPATH.
        python_path = environment(service)["PYTHONPATH"]
        assert prod_local.own_env(name)["PYTHONPATH"] == str(PROJECT)
        assert mounted[f"{python_path}/bot"] == PROJECT / "bot"


# --- environment ----------------------------------------------------------------------


def test_every_gateway_gets_what_prod_local_gives_its_gateways(
    compose: dict[str, Any], dockerfile: Dockerfile, prod_local: ProdLocal
) -> None:
    """Every name prod-local sets, plus REDIS_URL: several gateways must share Redis."""
    for name in named(compose, "gateway"):
        expected = set(prod_local.own_env(name)) | {"REDIS_URL"}
        env = effective_env(services(compose)[name], dockerfile)
        assert expected - set(env) == set(), name
        for key, value in prod_local.own_env(name).items():
            if key not in MACHINE_LOCAL and key not in REQUIRED_SECRETS and "://" not in value:
                assert env[key] == value, (name, key)
        assert env["HOST"] == "0.0.0.0"
        assert env["TELEGRAM_MODE"] == prod_local.settings.telegram_mode == "webhook"


def test_the_action_server_and_rasa_get_what_prod_local_gives_them(
    compose: dict[str, Any], dockerfile: Dockerfile, prod_local: ProdLocal
) -> None:
    """Rasa's own image only needs what prod-local adds to the shared base environment."""
    actions = effective_env(services(compose)["actions"], dockerfile)
    assert set(prod_local.own_env("actions")) - set(actions) == set()
    assert actions["SANIC_HOST"] == "0.0.0.0"
    base = set(base_environment(prod_local.settings))
    gateway_redis = environment(services(compose)[named(compose, "gateway")[0]])["REDIS_URL"]
    assert gateway_redis is not None
    lock_store_env = rasa_endpoints.lock_store_environment(gateway_redis)
    for name in named(compose, "rasa"):
        own = {k: v for k, v in prod_local.own_env(name).items() if k not in base}
        env = environment(services(compose)[name])
        assert {*own, *lock_store_env} - set(env) == set(), name
        for key, value in own.items():
            if key not in MACHINE_LOCAL and "://" not in value:
                assert env[key] == value, (name, key)


def test_urls_point_at_the_compose_services(
    compose: dict[str, Any], dockerfile: Dockerfile, prod_local: ProdLocal
) -> None:
    """Where prod-local says 127.0.0.1:port, compose names the service and its port."""
    gateways = [environment(services(compose)[n]) for n in named(compose, "gateway")]
    actions_port = option(command(services(compose)["actions"], dockerfile), "-p")
    for env in [*gateways, *(environment(services(compose)[n]) for n in named(compose, "rasa"))]:
        action_server = urlsplit(str(env["ACTION_SERVER_URL"]))
        assert (action_server.hostname, str(action_server.port)) == ("actions", actions_port)
    postgres = environment(services(compose)["postgres"])
    for env in gateways:
        rasa = urlsplit(str(env["RASA_URL"]))
        assert rasa.hostname == "nginx"
        redis = urlsplit(str(env["REDIS_URL"]))
        assert redis.hostname == "redis" and redis.scheme == "redis"
        database = make_url(str(env["DATABASE_URL"]))
        local = make_url(str(prod_local.settings.database_url))
        assert database.drivername == local.drivername
        assert (database.host, database.port) == ("postgres", 5432)
        assert database.username == postgres["POSTGRES_USER"]
        assert database.database == postgres["POSTGRES_DB"]
        assert database.password == OPERATOR_ENV["POSTGRES_PASSWORD"]
    urls = {
        environment(services(compose)[n])["DATABASE_URL"]
        for n in [*named(compose, "gateway"), "actions", "migrate"]
    }
    assert len(urls) == 1


def test_rasa_keeps_its_trackers_where_prod_local_would(
    compose: dict[str, Any], prod_local: ProdLocal
) -> None:
    """prod-local derives the tracker store from DATABASE_URL; compose spells it out."""
    database_url = environment(services(compose)["gateway-1"])["DATABASE_URL"]
    expected = StackSettings(database_url=database_url).tracker_store_url()
    for name in named(compose, "rasa"):
        env = environment(services(compose)[name])
        assert env["RASA_TRACKER_STORE_URL"] == expected
        assert env["RASA_TRACKER_STORE_DIALECT"] == make_url(expected).get_backend_name()


# --- secrets --------------------------------------------------------------------------


def test_required_secrets_come_from_the_operator(raw: dict[str, Any]) -> None:
    """Each secret is `${VAR:?message}`: compose stops rather than start with an empty one."""
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    required = {m["name"] for m in INTERPOLATION.finditer(text) if m["op"] == ":?"}
    assert required == REQUIRED_SECRETS
    for name in named(raw, "gateway"):
        env = environment(services(raw)[name])
        for secret in _secret_names():
            assert re.fullmatch(rf"\$\{{{secret}:\?[^}}]+\}}", str(env[secret])), (name, secret)
    postgres = environment(services(raw)["postgres"])
    assert re.fullmatch(r"\$\{POSTGRES_PASSWORD:\?[^}]+\}", str(postgres["POSTGRES_PASSWORD"]))


@pytest.mark.parametrize("secret", sorted(REQUIRED_SECRETS))
def test_compose_refuses_to_start_without_a_secret(raw: dict[str, Any], secret: str) -> None:
    """Leaving one secret out of .env must stop `docker compose up` with its name."""
    env = {k: v for k, v in OPERATOR_ENV.items() if k != secret}
    with pytest.raises(MissingVariableError) as missing:
        interpolate_all(raw, env)
    assert missing.value.args == (secret,)


def test_no_secret_is_written_into_the_deployment_files(
    raw: dict[str, Any], dockerfile: Dockerfile
) -> None:
    """Secret-named variables are interpolated or passed on, passwords in URLs too."""
    for name, service in services(raw).items():
        for key, value in environment(service).items():
            if SECRET_NAME.search(key) and value is not None:
                assert re.fullmatch(rf"\$\{{{key}(:\?[^}}]+)?\}}", value), (name, key, value)
    for value in strings(raw):
        for found in URL_PASSWORD.finditer(value):
            assert re.fullmatch(r"\$\{POSTGRES_PASSWORD:\?[^}]+\}", found["password"]), value
        if "--jwt-secret" in value:
            assert re.fullmatch(r"--jwt-secret=\$\{RASA_TOKEN:\?[^}]+\}", value), value
    for key in [*dockerfile.env, *dockerfile.args]:
        assert not SECRET_NAME.search(key), key


# --- nginx and Rasa configuration -----------------------------------------------------


def test_nginx_conf_is_prod_locals_rendering_for_the_compose_services(
    compose: dict[str, Any], dockerfile: Dockerfile
) -> None:
    """deploy/nginx.conf is nginx_config() for the services' names and ports, unedited."""
    nginx = services(compose)["nginx"]
    published = [str(port).split(":") for port in nginx["ports"]]
    assert len(published) == 1, "only the gateways' port is published (Rasa stays inside)"
    gateways = named(compose, "gateway")
    rasa_servers = named(compose, "rasa")
    rasa_url = urlsplit(str(environment(services(compose)[gateways[0]])["RASA_URL"]))
    expected = nginx_config(
        Upstreams(
            listen=published[0][-1],
            gateways=[
                f"{n}:{effective_env(services(compose)[n], dockerfile)['PORT']}" for n in gateways
            ],
            rasa_listen=str(rasa_url.port),
            rasa_servers=[
                f"{n}:{option([str(a) for a in services(compose)[n]['command']], '--port')}"
                for n in rasa_servers
            ],
            resolver=DOCKER_DNS,
        )
    )
    assert NGINX_CONF.read_text(encoding="utf-8") == expected
    assert mounts(nginx)["/etc/nginx/nginx.conf"] == NGINX_CONF
    # `resolve` in an upstream needs nginx 1.27.3 or newer.
    image, _, tag = str(nginx["image"]).partition(":")
    assert image == "nginx" and tuple(int(n) for n in tag.split(".")) >= (1, 28)
    assert set(depends_on(nginx)) == {*gateways, *rasa_servers}


def test_rasa_endpoints_are_what_prod_local_writes_for_the_compose_redis(
    compose: dict[str, Any],
) -> None:
    """Same tracker store and action endpoint, and the lock store with the same keys."""
    gateway = environment(services(compose)[named(compose, "gateway")[0]])
    redis_url = gateway["REDIS_URL"]
    assert redis_url is not None
    prefix = (
        gateway.get("REDIS_KEY_PREFIX") or RedisSettings.model_fields["redis_key_prefix"].default
    )
    base = (PROJECT / rasa_endpoints.PROJECT_ENDPOINTS).read_text(encoding="utf-8")
    expected = yaml.safe_load(base + "\n" + rasa_endpoints.lock_store_section(redis_url, prefix))
    assert yaml.safe_load(RASA_ENDPOINTS.read_text(encoding="utf-8")) == expected
    assert expected["lock_store"]["url"] == "redis"


def test_healthchecks_ask_the_port_the_process_listens_on(
    compose: dict[str, Any], dockerfile: Dockerfile
) -> None:
    """A healthcheck on the wrong port would keep a working service `unhealthy`."""
    for name in named(compose, "gateway"):
        service = services(compose)[name]
        port = effective_env(service, dockerfile)["PORT"]
        assert f"127.0.0.1:{port}/health" in " ".join(service["healthcheck"]["test"])
    actions = services(compose)["actions"]
    port = option(command(actions, dockerfile), "-p")
    assert f"127.0.0.1:{port}/health" in " ".join(actions["healthcheck"]["test"])
    for name in named(compose, "rasa"):
        service = services(compose)[name]
        port = option([str(a) for a in service["command"]], "--port")
        assert f"127.0.0.1:{port}/" in " ".join(service["healthcheck"]["test"])
