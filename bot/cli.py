"""Command line for running, preparing and inspecting the assistant (`python -m bot --help`)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session

from bot.clock import business_today
from bot.settings import DatabaseSettings

PROJECT_DIR = Path(__file__).resolve().parent.parent
logger = logging.getLogger("bot")


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one command; returns the process exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    # Twilio's client logs every request and its headers at INFO.
    for chatty in ("httpx", "alembic.runtime.plugins", "twilio"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    command: Callable[[argparse.Namespace], int] = args.command
    return command(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    commands.add_parser("run", help="start Rasa, the action server and the gateway").set_defaults(
        command=_run
    )
    commands.add_parser("serve", help="start the gateway only").set_defaults(command=_serve)
    commands.add_parser(
        "prod-local", help="start the production topology (nginx, 2 gateways, 2 Rasa servers)"
    ).set_defaults(command=_prod_local)

    db = commands.add_parser("db", help="database schema").add_subparsers(required=True)
    db.add_parser("upgrade", help="apply migrations").set_defaults(command=_db_upgrade)
    db.add_parser(
        "prepare",
        help="apply migrations and load the demo data into a new database (LOAD_DEMO_DATA)",
    ).set_defaults(command=_db_prepare)
    revision = db.add_parser("revision", help="write a migration from the model changes")
    revision.add_argument("-m", "--message", required=True)
    revision.set_defaults(command=_db_revision)

    demo = commands.add_parser("demo", help="demo data").add_subparsers(required=True)
    demo.add_parser(
        "reset", help="replace all business data with the demo data (conversations included)"
    ).set_defaults(command=_demo_reset)

    model = commands.add_parser("model", help="Rasa model").add_subparsers(required=True)
    model.add_parser("train", help="train if data/, domain or config changed").set_defaults(
        command=_model_train
    )
    model.add_parser("path", help="print the current model's path").set_defaults(
        command=_model_path
    )
    agent = commands.add_parser("agent", help="console accounts").add_subparsers(required=True)
    create = agent.add_parser(
        "create", help="add a console account (password from AGENT_PASSWORD or a prompt)"
    )
    create.add_argument("username")
    create.add_argument("--name", help="name shown to colleagues")
    create.add_argument("--admin", action="store_true")
    create.set_defaults(command=_agent_create)
    telegram = commands.add_parser("telegram", help="Telegram webhook").add_subparsers(
        required=True
    )
    telegram.add_parser(
        "set-webhook", help="register PUBLIC_BASE_URL/webhooks/telegram/webhook with Telegram"
    ).set_defaults(command=_telegram_set_webhook)
    telegram.add_parser(
        "delete-webhook", help="stop Telegram from calling the webhook"
    ).set_defaults(command=_telegram_delete_webhook)
    report = commands.add_parser(
        "report", help="service figures (CSAT, NPS, CES, handoffs, fallbacks) for a date range"
    )
    report.add_argument("--from", dest="first", metavar="YYYY-MM-DD", help="default: 12 weeks ago")
    report.add_argument("--to", dest="last", metavar="YYYY-MM-DD", help="default: today")
    report.add_argument("--csv", action="store_true", help="write CSV to standard output")
    report.set_defaults(command=_report)
    commands.add_parser(
        "bench", help="load benchmark: gateway vs bare Rasa (BENCH_* variables, see README)"
    ).set_defaults(command=_bench)
    evaluation = commands.add_parser("eval", help="score the model on the held-out test set")
    evaluation.add_argument("--report-dir", type=Path, default=PROJECT_DIR / "reports" / "nlu")
    evaluation.set_defaults(command=_eval)
    return parser


def _run(_: argparse.Namespace) -> int:
    from bot.stack import run_stack

    return run_stack(PROJECT_DIR)


def _prod_local(_: argparse.Namespace) -> int:
    from bot.prod_local import run_prod_local

    return run_prod_local(PROJECT_DIR)


def _serve(_: argparse.Namespace) -> int:
    import uvicorn

    from bot.app import create_app
    from bot.settings import GatewaySettings

    settings = GatewaySettings()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        access_log=False,
        log_level=os.environ.get("LOG_LEVEL", "info").lower(),
    )
    return 0


def _telegram_set_webhook(_: argparse.Namespace) -> int:
    import asyncio

    from bot.channels.telegram import register_webhook
    from bot.settings import TelegramSettings

    return asyncio.run(register_webhook(TelegramSettings(), delete=False))


def _telegram_delete_webhook(_: argparse.Namespace) -> int:
    import asyncio

    from bot.channels.telegram import register_webhook
    from bot.settings import TelegramSettings

    return asyncio.run(register_webhook(TelegramSettings(), delete=True))


def _db_upgrade(_: argparse.Namespace) -> int:
    from bot.db.migrate import upgrade

    url = DatabaseSettings().effective_database_url
    upgrade(url)
    logger.info("Database schema is up to date")
    return 0


def _db_prepare(args: argparse.Namespace) -> int:
    from bot.demo import seed

    _db_upgrade(args)
    if os.environ.get("LOAD_DEMO_DATA", "true").lower() in ("false", "0", "no"):
        logger.info(
            "LOAD_DEMO_DATA is off: no demo data, no demo account. Add the first console "
            "account with `python -m bot agent create NAME --admin`"
        )
        return 0
    with _session() as session:
        if seed.is_empty(session):
            seed.reset(session, data=seed.read_demo_file(_demo_file()), today=business_today())
            logger.info("New database: loaded the demo data (Nordlicht Home & Style)")
        else:
            logger.info("Database already holds data; left it as it is")
        _ensure_demo_agent(session)
    return 0


def _ensure_demo_agent(session: Session) -> None:
    # `make run` gives the console one account, so the demo can be tried at once; an
    # admin, so the reports can be tried too.
    from bot.console import accounts

    if accounts.has_agents(session):
        return
    password = os.environ.get("DEMO_AGENT_PASSWORD") or accounts.new_password()
    accounts.create_agent(
        session, username="demo", password=password, display_name="Demo Agent", role="admin"
    )
    if "DEMO_AGENT_PASSWORD" not in os.environ:
        print(f"Agent console: user 'demo', password '{password}' (shown only this once)")


def _report(args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo

    from sqlalchemy.exc import SQLAlchemyError

    from bot.clock import time_zone
    from bot.reporting import export, text, tracker
    from bot.reporting.period import PeriodError, parse_period
    from bot.reporting.report import report
    from bot.settings import StackSettings

    try:
        period = parse_period(
            args.first, args.last, today=business_today(), time_zone=ZoneInfo(time_zone())
        )
    except PeriodError as error:
        logger.error("No report: %s", error)
        return 2
    url = tracker.reporting_url(StackSettings().tracker_store_url())
    try:
        with _session() as session:
            result = report(session, period=period, tracker_url=url)
    except SQLAlchemyError as error:
        logger.error("Cannot read the business database (python -m bot db upgrade?): %s", error)
        return 1
    sys.stdout.write(export.to_csv(result) if args.csv else text.render(result))
    return 0


def _agent_create(args: argparse.Namespace) -> int:
    import getpass

    from bot.console import accounts

    password = os.environ.get("AGENT_PASSWORD") or getpass.getpass(
        f"Password for {args.username}: "
    )
    try:
        with _session() as session:
            accounts.create_agent(
                session,
                username=args.username,
                password=password,
                display_name=args.name or args.username,
                role="admin" if args.admin else "agent",
            )
    except accounts.AccountError as error:
        logger.error("No account created: %s", error)
        return 2
    return 0


def _db_revision(args: argparse.Namespace) -> int:
    from bot.db.migrate import new_revision

    new_revision(DatabaseSettings().effective_database_url, args.message)
    return 0


def _demo_reset(args: argparse.Namespace) -> int:
    from bot.demo import seed

    _db_upgrade(args)
    today = business_today()
    with _session() as session:
        seed.reset(session, data=seed.read_demo_file(_demo_file()), today=today)
    logger.info("Demo data restored (customers, points, conversations) as of %s", today)
    return 0


@contextmanager
def _session() -> Iterator[Session]:
    """One committed unit of work on the configured database."""
    from bot.db.engine import make_engine, make_session_factory

    engine = make_engine(DatabaseSettings().effective_database_url)
    try:
        with make_session_factory(engine).begin() as session:
            yield session
    finally:
        engine.dispose()


def _demo_file() -> Path:
    from bot.demo.seed import DEFAULT_DEMO_FILE

    return Path(os.environ.get("DEMO_DATA_FILE", DEFAULT_DEMO_FILE))


def _model_train(_: argparse.Namespace) -> int:
    from bot.model import TrainingFailedError, train_if_changed

    try:
        train_if_changed(PROJECT_DIR, rasa_bin=PROJECT_DIR / ".venv-rasa" / "bin" / "rasa")
    except TrainingFailedError as error:
        logger.error("No model: %s (Rasa's output above says why)", error)
        return 1
    return 0


def _eval(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from bot.evaluation import EvalSettings, evaluate
    from bot.model import TrainingFailedError
    from bot.seeded_models import models_for_seeds

    rasa_bin = PROJECT_DIR / ".venv-rasa" / "bin" / "rasa"
    try:
        seeds = EvalSettings().seed_list
        models = models_for_seeds(PROJECT_DIR, seeds, rasa_bin=rasa_bin)
    except ValidationError as error:
        logger.error("No evaluation: %s", error)
        return 2
    except TrainingFailedError as error:
        logger.error("No evaluation: %s (Rasa's output above says why)", error)
        return 1
    met = evaluate(PROJECT_DIR, models=models, rasa_bin=rasa_bin, report_dir=args.report_dir)
    logger.info("Report written to %s (report.json, summary.md)", args.report_dir)
    return 0 if met else 1


def _bench(_: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from bot.bench.run import main as bench
    from bot.bench.settings import BenchSettings

    try:
        settings = BenchSettings()
    except ValidationError as error:
        logger.error("No benchmark: %s", error)
        return 2
    return bench(settings, PROJECT_DIR)


def _model_path(_: argparse.Namespace) -> int:
    from bot.model import model_path

    print(model_path(PROJECT_DIR))
    return 0
