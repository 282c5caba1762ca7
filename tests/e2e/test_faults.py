"""Nothing a customer sends is lost while parts of the production topology fail.

`python -m bot prod-local` runs for real: nginx in front of two gateways and two
Rasa servers, one action server, PostgreSQL, and a Redis of the test's own (so
it can be restarted). Telegram and WhatsApp customers write through nginx, with
webhooks signed as the providers sign them, while one component fails:
a Rasa server gets SIGKILL, the action server gets SIGKILL, Redis restarts, a
gateway gets SIGKILL. Like the providers, the test delivers a refused or failed
webhook again with the same update id / MessageSid, and delivers some accepted
ones twice. The supervisor brings the killed process back; the recovery loop
answers what got an apology.

Afterwards the ledger must hold: every message sent is stored exactly once, is
answered exactly once (live, or an apology and then one late answer), and the
providers received exactly the replies stored as sent, none twice. The figures
of each scenario go to reports/faults/results.json.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import signal
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field

import httpx
import pytest
from twilio.request_validator import RequestValidator

from bot.bench import channels
from bot.bench.channels import FakeProviders, fake_providers
from bot.launcher import Launched, free_ports, launched
from bot.rasa_auth import rasa_auth_headers
from bot.responses import DomainResponses
from tests.conftest import postgres_schema
from tests.e2e.conftest import PROJECT, query, require_rasa, train_model
from tests.fakes.telegram import text_update
from tests.fakes.twilio import AUTH_TOKEN, incoming
from tests.own_redis import OwnRedis

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]

RASA_TOKEN = "fault-test-rasa-token-long-enough-for-hs256"
RESTART_DELAY_SECONDS = 3
RASA_TIMEOUT_SECONDS = 10
"""Also sets how long a message a stopped gateway left behind waits: 2 × (10 + 15) s."""
SETTLE_TIMEOUT_SECONDS = 300
REPORT = PROJECT / "reports" / "faults" / "results.json"
REPLIES = DomainResponses.from_domain(PROJECT / "domain")
LATE_INTROS = tuple(
    REPLIES.text("utter_late_answer", language=language, message="\0").partition("\0")[0]
    for language in ("de", "en")
)

SCRIPTS = [
    ["Hallo!", "Wie hoch sind die Versandkosten?", "Wie funktioniert der Nordlicht Club?"],
    ["Hi there", "How long do I have to return something?", "Which payment methods can I use?"],
    ["Wie viele Punkte habe ich?", "Was kostet Expressversand?", "Welche Zahlungsarten gibt es?"],
    ["Wann habt ihr offen?", "Kann ich auf Rechnung zahlen?", "Wie lange dauert der Versand?"],
]


@dataclass
class Topology:
    base_url: str
    rasa_urls: list[str]
    database_url: str
    redis: OwnRedis
    stack: Launched
    providers: FakeProviders
    chat_ids: Iterator[int] = field(default_factory=lambda: itertools.count(930_000_000))
    numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def kill(self, name: str) -> None:
        """SIGKILL one process of the stack; its supervisor starts it again."""
        os.killpg(self.stack.pid(name), signal.SIGKILL)

    def wait_until_all_ready(self, timeout: float = 300) -> None:
        """Every Rasa server has its model and the gateways are healthy (after a restart)."""
        deadline = time.monotonic() + timeout
        pending = [*self.rasa_urls, self.base_url]
        while pending and time.monotonic() < deadline:
            url = pending[0]
            try:
                if url == self.base_url:
                    ok = httpx.get(f"{url}/health", timeout=5).status_code == 200
                else:
                    auth = rasa_auth_headers(RASA_TOKEN)
                    status = httpx.get(f"{url}/status", headers=auth, timeout=5)
                    ok = status.status_code == 200 and bool(status.json().get("model_file"))
            except httpx.HTTPError:
                ok = False
            if ok:
                pending.pop(0)
            else:
                time.sleep(1)
        assert not pending, f"not ready after {timeout:.0f} s: {pending}\n{self.stack.tail()}"


@pytest.fixture(scope="module")
def topology(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    require_rasa()
    nginx = shutil.which("nginx") or shutil.which("/usr/sbin/nginx")
    if nginx is None:
        pytest.skip("nginx is not installed (`apt-get install nginx`); .ci/run installs it")
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        pytest.skip("redis-server is not installed; the fault tests restart a Redis of their own")
    data_dir = tmp_path_factory.mktemp("prod-local")
    redis = OwnRedis(redis_server, tmp_path_factory.mktemp("redis"))
    redis.start()
    try:
        with postgres_schema() as database_url, fake_providers() as providers:
            train_model()
            port, rasa_port, actions_port, *gateway_ports, rasa_a, rasa_b = free_ports(7)
            rasa_ports = [rasa_a, rasa_b]
            env = {
                **os.environ,
                "DATA_DIR": str(data_dir),
                "DATABASE_URL": database_url,
                "REDIS_URL": redis.url,
                "PORT": str(port),
                "RASA_PORT": str(rasa_port),
                "GATEWAY_PORTS": json.dumps(gateway_ports),
                "RASA_PORTS": json.dumps(rasa_ports),
                "ACTION_SERVER_PORT": str(actions_port),
                "NGINX_BIN": nginx,
                "RASA_TOKEN": RASA_TOKEN,
                "RESTART_DELAY_SECONDS": str(RESTART_DELAY_SECONDS),
                "RASA_TIMEOUT_SECONDS": str(RASA_TIMEOUT_SECONDS),
                "RECOVERY_INTERVAL_SECONDS": "2",
                # Rasa frees the conversation locks of a killed Rasa server after this long.
                "TICKET_LOCK_LIFETIME": "10",
                **providers.env,
                "DEMO_AGENT_PASSWORD": "fault-test-agent-password",
            }
            for name in ("REST_API_TOKEN", "RASA_TRACKER_STORE_URL", "HOST", "REDIS_KEY_PREFIX"):
                env.pop(name, None)
            base_url = f"http://127.0.0.1:{port}"
            with launched(
                PROJECT,
                "prod-local",
                env,
                health_url=f"{base_url}/health",
                startup_timeout=600,
                data_dir=data_dir,
            ) as stack:
                running = Topology(
                    base_url,
                    [f"http://127.0.0.1:{p}" for p in rasa_ports],
                    database_url,
                    redis,
                    stack,
                    providers,
                )
                running.wait_until_all_ready()
                yield running
    finally:
        redis.stop()


@dataclass(frozen=True)
class Customer:
    channel: str
    address: str
    """The Telegram chat id, or the WhatsApp number (whatsapp:+…)."""

    @property
    def sender_id(self) -> str:
        return f"{self.channel}:{self.address.removeprefix('whatsapp:')}"


class Provider:
    """Delivers webhooks the way Telegram and Twilio do: again until acknowledged."""

    def __init__(self, http: httpx.AsyncClient, topology: Topology) -> None:
        self._http = http
        self._base = topology.base_url
        self._ids = itertools.count(int(time.time() * 1000) % 1_000_000_000)
        self._validator = RequestValidator(AUTH_TOKEN)
        self.deliveries = 0
        self.redelivered = 0

    async def send(self, customer: Customer, text: str, *, twice: bool) -> str:
        """Deliver one message until the gateway says 200; returns the provider's id."""
        message_id = next(self._ids)
        for attempt in itertools.count():
            if await self._post(customer, message_id, text):
                break
            assert attempt < 60, f"the gateway never accepted message {message_id}"
            self.redelivered += 1
            await asyncio.sleep(1)
        if twice:
            self.redelivered += 1
            await self._post(customer, message_id, text)
        return str(message_id)

    async def _post(self, customer: Customer, message_id: int, text: str) -> bool:
        self.deliveries += 1
        try:
            if customer.channel == "telegram":
                response = await self._http.post(
                    self._base + channels.TELEGRAM_PATH,
                    json=text_update(message_id, int(customer.address), text),
                    headers={"X-Telegram-Bot-Api-Secret-Token": channels.TELEGRAM_SECRET},
                )
            else:
                form = incoming(f"SM{message_id:032d}", customer.address, text)
                signature = self._validator.compute_signature(
                    channels.PUBLIC_BASE_URL + channels.TWILIO_PATH, form
                )
                response = await self._http.post(
                    self._base + channels.TWILIO_PATH,
                    data=form,
                    headers={"X-Twilio-Signature": signature},
                )
        except httpx.HTTPError:
            return False
        return response.status_code == 200


@dataclass
class Ledger:
    scenario: str
    customers: int
    messages_sent: int
    deliveries: int
    redelivered: int
    stored: int = 0
    answered_live: int = 0
    answered_late: int = 0
    not_answered: list[str] = field(default_factory=list)
    stored_twice: int = 0
    answered_twice: int = 0
    replies_sent: int = 0
    replies_unconfirmed: int = 0
    """Stored as `sending`: the process stopped between storing and hearing back from the
    provider. They are never sent again (no duplicates); the provider may have them."""
    replies_failed: int = 0
    replies_delivered: int = 0
    """What the fake providers received."""


async def drive(
    topology: Topology, fault: Callable[[], Awaitable[None]]
) -> tuple[list[Customer], int, Provider]:
    """Four Telegram and four WhatsApp customers write while `fault` happens."""
    customers = [Customer("telegram", str(next(topology.chat_ids))) for _ in range(4)] + [
        Customer("whatsapp", f"whatsapp:+4915991{next(topology.numbers):06d}") for _ in range(4)
    ]
    counter = itertools.count()
    async with httpx.AsyncClient(timeout=30) as http:
        provider = Provider(http, topology)

        async def converse(customer: Customer, script: list[str]) -> None:
            for text in script:
                await provider.send(customer, text, twice=next(counter) % 4 == 0)
                await asyncio.sleep(1.5)

        async def inject() -> None:
            await asyncio.sleep(2)
            await fault()

        await asyncio.gather(
            inject(),
            *[converse(c, SCRIPTS[i % len(SCRIPTS)]) for i, c in enumerate(customers)],
        )
    return customers, sum(len(SCRIPTS[i % len(SCRIPTS)]) for i in range(len(customers))), provider


def settle(topology: Topology, senders: list[str]) -> None:
    """Wait until every message of these customers is answered, live or late."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        open_ = query(
            topology.database_url,
            "SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE c.sender_id = ANY(:senders) AND m.direction = 'in' "
            "AND m.status <> 'answered'",
            senders=senders,
        )[0][0]
        sending = query(
            topology.database_url,
            "SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE c.sender_id = ANY(:senders) AND m.direction = 'out' AND m.status = 'sending' "
            "AND m.created_at > now() - interval '30 seconds'",
            senders=senders,
        )[0][0]
        if open_ == 0 and sending == 0:
            return
        time.sleep(1)


def ledger(
    topology: Topology, scenario: str, customers: list[Customer], sent: int, provider: Provider
) -> Ledger:
    """What became of every message: stored, answered, and what the providers received."""
    senders = [c.sender_id for c in customers]
    book = Ledger(scenario, len(customers), sent, provider.deliveries, provider.redelivered)
    inbound = query(
        topology.database_url,
        "SELECT m.id, m.provider_message_id, m.status FROM messages m "
        "JOIN conversations c ON c.id = m.conversation_id "
        "WHERE c.sender_id = ANY(:senders) AND m.direction = 'in'",
        senders=senders,
    )
    book.stored = len(inbound)
    book.stored_twice = sum(n - 1 for n in Counter(p for _, p, _ in inbound).values() if n > 1)
    replies = query(
        topology.database_url,
        "SELECT m.reply_to_id, m.author, m.text, m.status FROM messages m "
        "JOIN conversations c ON c.id = m.conversation_id "
        "WHERE c.sender_id = ANY(:senders) AND m.direction = 'out'",
        senders=senders,
    )
    by_message: dict[int, list[tuple[str, str]]] = {}
    for reply_to, author, text, _ in replies:
        by_message.setdefault(reply_to, []).append((author, text))
    for message_id, provider_id, status in inbound:
        answers = by_message.get(message_id, [])
        late = sum(1 for _, text in answers if text.startswith(LATE_INTROS))
        apologies = sum(1 for author, _ in answers if author == "system")
        live = apologies == 0 and late == 0 and answers
        if status != "answered" or not answers:
            book.not_answered.append(f"{provider_id}: {status}")
        elif late > 1 or apologies > 1 or (apologies and not late):
            book.answered_twice += 1
        elif live:
            book.answered_live += 1
        else:
            book.answered_late += 1
    statuses = Counter(status for *_, status in replies)
    book.replies_sent, book.replies_unconfirmed = statuses["sent"], statuses["sending"]
    book.replies_failed = len(replies) - book.replies_sent - book.replies_unconfirmed
    book.replies_delivered = sum(
        topology.providers.delivered_to(c.channel, c.address) for c in customers
    )
    return book


def record(book: Ledger) -> None:
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    results[book.scenario] = asdict(book)
    REPORT.write_text(json.dumps(results, indent=2))


def run_scenario(
    topology: Topology,
    scenario: str,
    fault: Callable[[], Awaitable[None]],
    *,
    gateway_stops: bool = False,
) -> None:
    topology.wait_until_all_ready()
    customers, sent, provider = asyncio.run(drive(topology, fault))
    topology.wait_until_all_ready()
    settle(topology, [c.sender_id for c in customers])
    book = ledger(topology, scenario, customers, sent, provider)
    record(book)
    assert book.stored == sent and book.stored_twice == 0, book
    assert book.not_answered == [] and book.answered_twice == 0, book
    assert book.answered_live + book.answered_late == sent, book
    assert book.replies_failed == 0, book
    # Nothing delivered twice, nothing stored as sent but never delivered.
    assert book.replies_sent <= book.replies_delivered, book
    assert book.replies_delivered <= book.replies_sent + book.replies_unconfirmed, book
    if not gateway_stops:
        assert book.replies_unconfirmed == 0, book


def test_rasa_server_killed_mid_conversation(topology: Topology) -> None:
    async def fault() -> None:
        topology.kill("rasa-1")

    run_scenario(topology, "rasa_sigkill", fault)


def test_action_server_killed(topology: Topology) -> None:
    async def fault() -> None:
        topology.kill("actions")

    run_scenario(topology, "action_server_sigkill", fault)


def test_redis_restarted(topology: Topology) -> None:
    async def fault() -> None:
        await asyncio.to_thread(topology.redis.restart, 3.0)

    run_scenario(topology, "redis_restart", fault)


def test_gateway_killed_while_it_holds_conversations(topology: Topology) -> None:
    async def fault() -> None:
        topology.kill("gateway-1")

    run_scenario(topology, "gateway_sigkill", fault, gateway_stops=True)


def test_the_faults_left_nothing_waiting(topology: Topology) -> None:
    leftover = query(
        topology.database_url,
        "SELECT status, count(*) FROM messages WHERE direction = 'in' "
        "AND status IN ('received', 'retrying', 'unanswered') GROUP BY status",
    )
    assert leftover == []
