"""Counter throughput: concurrent cashiers posting deposits to a served app.

For each database backend the script builds a fresh database, serves the app with
gunicorn exactly as in production, and has ``--clients`` threads post deposits to
``POST /api/v1/deposits`` for ``--seconds`` seconds after a short warm-up.

1. **Database.** SQLite: a file in a temporary directory. PostgreSQL: a temporary
   database ``bench_counter_<pid>`` created through ``--maintenance-url`` and dropped at
   the end, or the database of ``--postgres-url`` (kept; each run seeds its own bank).
   The schema comes from ``flask --app wsgi db upgrade``; a city, a mandiri bank, a
   cashier, ``--members`` members and a price list come from the services (not SQL).
2. **Server.** ``gunicorn -w W --threads T --no-control-socket wsgi:app`` on a free port;
   a bearer token from ``POST /api/v1/auth/token``.
3. **Load.** Every client thread keeps one HTTP/1.1 connection (stdlib ``http.client``)
   and posts deposits of 1-3 lines for random members (seeded ``random.Random``), each
   with a new ``Idempotency-Key``. About 5 % of the requests (``--replay-share``) resend
   an earlier request of the same thread with its key: they must answer 201 with
   ``Idempotent-Replayed: true`` and the original deposit, and create nothing.
4. **Figures**, over the measured window only (warm-up excluded):

   * *requests*: every request sent, replays included; *deposits created*: new
     deposits (201, not replayed); *replays*: 201 answers to resent keys;
   * *errors*: non-2xx answers by status, and connection failures;
   * *deposits/s*: deposits created per second of the window; *requests/s* likewise;
   * *latency p50/p90/p99/max*: milliseconds from sending a request to reading the
     whole answer, on the client (includes queueing in gunicorn).

5. **Consistency**, over the whole run (warm-up included), queried with SQLAlchemy:
   the ledger credits of the bank sum to the deposit totals, every deposit has exactly
   one ledger credit, no Idempotency-Key or receipt number occurs twice, the deposits in
   the database are exactly those the clients were told were created, and every replay
   returned its original deposit. The verdict is printed as ``consistent: yes/no``.

The load generator runs on the same machine as the server and takes CPU from it, so
the figures are a floor and are noisy on a shared 2-core machine. Run from the
repository root with the project's virtualenv::

    .venv/bin/python benchmarks/counter.py [--backend sqlite|postgres|both]
        [--seconds 10] [--warmup 2] [--clients 8] [--workers 2] [--threads 4]
        [--members 200] [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/db]

The default is both backends, with a temporary PostgreSQL database on 127.0.0.1:5432
(user ``postgres``, trust authentication). Nothing outside the temporary directory and
the temporary database is touched.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import math
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # wastebank is imported lazily, in the app context

MAINTENANCE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SECRET_KEY = "benchmark-only-secret-key-not-for-production"  # noqa: S105
CASHIER = "kasir.bench"
PASSWORD = "bench-password-1"  # noqa: S105 - a throwaway user in a throwaway database
# Categories, units and buying prices (Rp per unit) of the seeded price list.
CATEGORIES = [
    ("PET", "Botol PET bening", "plastic", "kg", 3000),
    ("KARDUS", "Kardus", "paper", "kg", 1100),
    ("JELANTAH", "Minyak jelantah", "used_cooking_oil", "litre", 4000),
    ("TEMBAGA", "Tembaga", "metal", "kg", 50000),
    ("KACA", "Botol kaca", "glass", "pcs", 200),
]
RETRYABLE = (http.client.RemoteDisconnected, ConnectionError, BrokenPipeError)


@dataclass(frozen=True)
class Options:
    seconds: float
    warmup: float
    clients: int
    workers: int
    threads: int
    members: int
    replay_share: float
    seed: int
    keep: bool


@dataclass(frozen=True)
class Seeded:
    bank_code: str
    cashier: str
    member_ids: list[int]


# -- database ------------------------------------------------------------------------------
def _flask_env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["WASTEBANK_DATABASE_URL"] = url
    env["WASTEBANK_SECRET_KEY"] = SECRET_KEY
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def migrate(url: str, log: Path) -> None:
    """``flask --app wsgi db upgrade``: the only way the schema is ever created."""
    with log.open("a") as out:
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
            cwd=ROOT,
            env=_flask_env(url),
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=300,
        )


@contextmanager
def app_context(url: str) -> Iterator[object]:
    """An app context on ``url`` for seeding and checking; its engine is disposed after."""
    from wastebank import create_app
    from wastebank.extensions import db

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        try:
            yield db.session
        finally:
            db.session.remove()
            db.engine.dispose()


def seed(url: str, members: int, rng: random.Random) -> Seeded:
    """A city, a mandiri bank with its price list, a cashier and ``members`` members.

    The bank code is new on every run, so a kept database (``--postgres-url``) can be
    reused; categories are created only when missing.
    """
    from wastebank import services
    from wastebank.access import SYSTEM
    from wastebank.extensions import db
    from wastebank.models import City, User, WasteCategory

    suffix = f"{os.getpid() % 10000:04d}{rng.randrange(100):02d}"
    bank_code = f"BN{suffix}"
    with app_context(url):
        session = db.session
        if session.scalar(sa.select(City.id).where(City.code == "BEN")) is None:
            services.create_city(
                session, code="BEN", name="Kota Benchmark", timezone="Asia/Jayapura"
            )
        services.create_bank(
            session,
            SYSTEM,
            code=bank_code,
            name="Bank Sampah Benchmark",
            kind="unit",
            city_code="BEN",
        )
        existing = set(session.scalars(sa.select(WasteCategory.code)))
        for code, name, material, unit, _price in CATEGORIES:
            if code not in existing:
                services.create_category(
                    session,
                    SYSTEM,
                    code=code,
                    name_id=name,
                    name_en=name,
                    material=material,
                    unit=unit,
                )
        for code, _name, _material, _unit, price in CATEGORIES:
            services.set_price(
                session,
                SYSTEM,
                bank_code,
                code,
                price_rp=price,
                effective_from=dt.date(2020, 1, 1),
            )
        username = f"{CASHIER}.{suffix}"
        if session.scalar(sa.select(User.id).where(User.username == username)):
            raise RuntimeError(f"user {username} exists already; run again")
        services.create_user(
            session,
            SYSTEM,
            username=username,
            password=PASSWORD,
            role="cashier",
            bank_code=bank_code,
            # A fast hash: the cashier is throwaway.
            policy=services.PasswordPolicy(hash_method="pbkdf2:sha256:1000"),
        )
        member_ids = [
            services.register_member(
                session, SYSTEM, bank=bank_code, name=f"Nasabah {index:04d}"
            ).id
            for index in range(members)
        ]
        session.commit()
    return Seeded(bank_code=bank_code, cashier=username, member_ids=member_ids)


@contextmanager
def temporary_postgres(maintenance_url: str) -> Iterator[str]:
    """A fresh database ``bench_counter_<pid>``, dropped (with its sessions) afterwards."""
    name = f"bench_counter_{os.getpid()}"
    admin = sa.create_engine(maintenance_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(
                sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            )
        admin.dispose()


# -- server --------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gunicorn(url: str, workers: int, threads: int, log: Path) -> Iterator[int]:
    """Serve ``wsgi:app`` with ``workers`` x ``threads`` on a free port until the block
    ends (as ``./script/server`` does); yields the port."""
    port = free_port()
    command = [
        *(sys.executable, "-m", "gunicorn"),
        *("-w", str(workers), "--threads", str(threads)),
        "--no-control-socket",
        *("-b", f"127.0.0.1:{port}", "--error-logfile", "-"),
        "wsgi:app",
    ]
    with log.open("a") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=_flask_env(url), stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited with {process.returncode}; see {log}"
                )
            with suppress(OSError):
                status, _, _ = request(port, "GET", "/healthz")
                if status == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer /healthz; see {log}")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def request(
    port: int,
    method: str,
    path: str,
    body: object = None,
    headers: dict[str, str] | None = None,
    timeout_s: float = 30,
) -> tuple[int, dict[str, str], object]:
    """One request on a new connection (set-up only; the load keeps its connections)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    try:
        payload = None if body is None else json.dumps(body)
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        data = response.read()
        parsed = json.loads(data) if data else None
        return response.status, dict(response.getheaders()), parsed
    finally:
        connection.close()


def issue_token(port: int, username: str) -> str:
    status, _, body = request(
        port,
        "POST",
        "/api/v1/auth/token",
        {"username": username, "password": PASSWORD},
    )
    if status != 200 or not isinstance(body, dict):
        raise RuntimeError(f"token request answered {status}: {body}")
    return str(body["access_token"])


# -- load ----------------------------------------------------------------------------------
@dataclass
class Sent:
    """A request whose answer created a deposit, kept for replays."""

    key: str
    body: bytes
    deposit_id: int


@dataclass
class ClientResult:
    latencies_ms: list[float] = field(default_factory=list)
    requests: int = 0
    created: int = 0
    replays: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    # Over the whole run, warm-up included, for the consistency check:
    created_ids: dict[int, int] = field(default_factory=dict)  # deposit id -> total_rp
    replay_mismatches: list[str] = field(default_factory=list)
    unknown_outcomes: int = 0  # failures after which a deposit may or may not exist
    last_finish: float = 0.0


class Client(threading.Thread):
    """One cashier's counter PC: posts deposits back to back on one connection."""

    def __init__(
        self,
        index: int,
        port: int,
        token: str,
        seeded: Seeded,
        options: Options,
        start_at: float,
        measure_from: float,
        stop_at: float,
    ) -> None:
        super().__init__(name=f"client-{index}", daemon=True)
        self.index = index
        self.port = port
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
        }
        self.seeded = seeded
        self.options = options
        self.rng = random.Random(options.seed * 1000 + index)
        self.start_at = start_at
        self.measure_from = measure_from
        self.stop_at = stop_at
        self.result = ClientResult()
        self.history: list[Sent] = []
        self.connection: http.client.HTTPConnection | None = None

    def _body(self) -> bytes:
        lines = [
            {"category": code, "quantity": str(Decimal(self.rng.randint(1, 400)) / 10)}
            for code, *_ in self.rng.sample(CATEGORIES, self.rng.randint(1, 3))
        ]
        member = self.rng.choice(self.seeded.member_ids)
        return json.dumps({"member": member, "lines": lines}).encode()

    def _post(self, key: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """POST with keep-alive; a dropped connection is retried with the same key, which
        the Idempotency-Key makes safe (a retry of a landed request is a replay)."""
        for attempt in range(3):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=60
                )
            connection = self.connection
            try:
                connection.request(
                    "POST",
                    "/api/v1/deposits",
                    body=body,
                    headers={**self.headers, "Idempotency-Key": key},
                )
                response = connection.getresponse()
                data = response.read()
                headers = {name.lower(): value for name, value in response.getheaders()}
                if headers.get("connection", "").lower() == "close":
                    connection.close()
                    self.connection = None
                return response.status, headers, data
            except RETRYABLE:
                connection.close()
                self.connection = None
                if attempt == 2:
                    raise
                self.result.retries += 1
        raise AssertionError("unreachable")  # pragma: no cover

    def run(self) -> None:
        time.sleep(max(0.0, self.start_at - time.perf_counter()))
        sequence = 0
        result = self.result
        while (started := time.perf_counter()) < self.stop_at:
            measured = started >= self.measure_from
            replay = (
                bool(self.history) and self.rng.random() < self.options.replay_share
            )
            if replay:
                original = self.rng.choice(self.history)
                key, body = original.key, original.body
            else:
                sequence += 1
                key = f"bench-{os.getpid()}-{self.index}-{sequence}"
                body = self._body()
            try:
                status, headers, data = self._post(key, body)
            except (OSError, http.client.HTTPException) as error:
                status, headers, data = 0, {}, type(error).__name__.encode()
            finished = time.perf_counter()
            result.last_finish = max(result.last_finish, finished)
            if measured:
                result.requests += 1
                result.latencies_ms.append((finished - started) * 1000)
            if status != 201:
                if measured:
                    result.errors[str(status) if status else data.decode()] += 1
                if not replay:
                    result.unknown_outcomes += 1
                continue
            deposit = json.loads(data)
            replayed = headers.get("idempotent-replayed") == "true"
            if replay:
                if not replayed or deposit["id"] != original.deposit_id:
                    result.replay_mismatches.append(
                        f"key {key}: replayed={replayed}, deposit {deposit['id']} "
                        f"instead of {original.deposit_id}"
                    )
                if measured:
                    result.replays += 1
                continue
            # A fresh key answered as a replay means a retried request had landed.
            if deposit["id"] in result.created_ids:
                result.replay_mismatches.append(
                    f"key {key}: deposit {deposit['id']} again"
                )
            result.created_ids[deposit["id"]] = int(deposit["total_rp"])
            self.history.append(Sent(key, body, int(deposit["id"])))
            if measured:
                result.created += 1
        if self.connection is not None:
            self.connection.close()


@dataclass(frozen=True)
class LoadFigures:
    requests: int
    created: int
    replays: int
    errors: Counter[str]
    retries: int
    window_s: float
    latencies_ms: list[float]
    created_ids: dict[int, int]
    replay_mismatches: list[str]
    unknown_outcomes: int


def drive(port: int, token: str, seeded: Seeded, options: Options) -> LoadFigures:
    start_at = time.perf_counter() + 0.2
    measure_from = start_at + options.warmup
    stop_at = measure_from + options.seconds
    clients = [
        Client(i, port, token, seeded, options, start_at, measure_from, stop_at)
        for i in range(options.clients)
    ]
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    results = [client.result for client in clients]
    created_ids: dict[int, int] = {}
    for result in results:
        created_ids.update(result.created_ids)
    return LoadFigures(
        requests=sum(r.requests for r in results),
        created=sum(r.created for r in results),
        replays=sum(r.replays for r in results),
        errors=sum((r.errors for r in results), Counter()),
        retries=sum(r.retries for r in results),
        window_s=max([r.last_finish for r in results] + [stop_at]) - measure_from,
        latencies_ms=sorted(ms for r in results for ms in r.latencies_ms),
        created_ids=created_ids,
        replay_mismatches=[m for r in results for m in r.replay_mismatches],
        unknown_outcomes=sum(r.unknown_outcomes for r in results),
    )


def percentile(ordered: list[float], share: float) -> float:
    """Nearest-rank percentile of an ascending list (nan when empty)."""
    if not ordered:
        return float("nan")
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


# -- consistency ---------------------------------------------------------------------------
def check_consistency(url: str, bank_code: str, load: LoadFigures) -> list[str]:
    """Problems found in the database after the run (empty when consistent)."""
    from wastebank.extensions import db
    from wastebank.models import Bank, Deposit, LedgerEntry

    problems: list[str] = []
    with app_context(url):
        session = db.session
        bank_id = session.scalar(sa.select(Bank.id).where(Bank.code == bank_code))
        deposits = session.execute(
            sa.select(Deposit.id, Deposit.total_rp, Deposit.mode).where(
                Deposit.bank_id == bank_id
            )
        ).all()
        credits = session.execute(
            sa.select(LedgerEntry.deposit_id, LedgerEntry.amount_rp).where(
                LedgerEntry.bank_id == bank_id, LedgerEntry.kind == "deposit"
            )
        ).all()
        twice = {
            name: session.scalar(
                sa.select(sa.func.count()).select_from(
                    sa.select(column)
                    .where(Deposit.bank_id == bank_id)
                    .group_by(column)
                    .having(sa.func.count() > 1)
                    .subquery()
                )
            )
            for name, column in (
                ("Idempotency-Key", Deposit.idempotency_key),
                ("receipt number", Deposit.receipt_no),
            )
        }
    saved = {d.id: d.total_rp for d in deposits if d.mode == "save" and d.total_rp > 0}
    credit_sum = sum(c.amount_rp for c in credits)
    if credit_sum != sum(saved.values()):
        problems.append(
            f"ledger credits sum to {credit_sum} Rp, deposits to {sum(saved.values())} Rp"
        )
    per_deposit = Counter(c.deposit_id for c in credits)
    if sorted(per_deposit) != sorted(saved) or any(
        n != 1 for n in per_deposit.values()
    ):
        extra = sum(n - 1 for n in per_deposit.values() if n > 1)
        missing = len(set(saved) - set(per_deposit))
        problems.append(
            f"not one credit per deposit: {extra} extra, {missing} missing credits"
        )
    problems += [f"{n} {name}s occur twice" for name, n in twice.items() if n]
    in_db = {d.id: d.total_rp for d in deposits}
    if in_db != load.created_ids:
        unseen = len(set(in_db) - set(load.created_ids))
        lost = len(set(load.created_ids) - set(in_db))
        changed = sum(
            1
            for i in set(in_db) & set(load.created_ids)
            if in_db[i] != load.created_ids[i]
        )
        note = (
            f" ({load.unknown_outcomes} requests failed with an unknown outcome)"
            if unseen and load.unknown_outcomes
            else ""
        )
        problems.append(
            f"database has {len(in_db)} deposits, clients were told of "
            f"{len(load.created_ids)}: {unseen} unseen, {lost} lost, "
            f"{changed} with another total{note}"
        )
    problems += [f"replay mismatch: {m}" for m in load.replay_mismatches[:5]]
    if len(load.replay_mismatches) > 5:
        problems.append(
            f"... and {len(load.replay_mismatches) - 5} more replay mismatches"
        )
    return problems


# -- one backend ---------------------------------------------------------------------------
def log_excerpt(log: Path, limit: int = 40) -> list[str]:
    """Error lines and tracebacks from the gunicorn log, de-duplicated, capped."""
    lines = log.read_text(errors="replace").splitlines()
    interesting: list[str] = []
    seen: set[str] = set()
    for number, line in enumerate(lines):
        if (
            " ERROR " in line
            or "[ERROR]" in line
            or "[CRITICAL]" in line
            or "WORKER TIMEOUT" in line
            or line.startswith(("Traceback", "sqlalchemy.", "psycopg.", "sqlite3."))
        ):
            text = line.strip()
            if line.startswith(
                "Traceback"
            ):  # the exception is the first unindented line
                end = next(
                    (
                        j
                        for j in range(number + 1, len(lines))
                        if lines[j] and not lines[j].startswith(" ")
                    ),
                    number,
                )
                text = lines[end].strip()
            key = text[30:] if text[:4].isdigit() else text  # ignore timestamps
            if key not in seen:
                seen.add(key)
                interesting.append(text[:300])
    return interesting[:limit]


def run_backend(name: str, url: str, options: Options, workdir: Path) -> bool:
    """Migrate, seed, serve, load, report and check one backend; True when consistent."""
    log = workdir / f"gunicorn-{name}.log"
    rng = random.Random(options.seed)
    print(f"\n== {name}: {sa.make_url(url).render_as_string(hide_password=True)}")
    migrate(url, workdir / f"migrate-{name}.log")
    seeded = seed(url, options.members, rng)
    with gunicorn(url, options.workers, options.threads, log) as port:
        token = issue_token(port, seeded.cashier)
        load = drive(port, token, seeded, options)
    report(name, options, load)
    problems = check_consistency(url, seeded.bank_code, load)
    for problem in problems:
        print(f"  ! {problem}")
    print(f"consistent: {'no' if problems else 'yes'}")
    excerpt = log_excerpt(log)
    if excerpt:
        print(f"gunicorn log ({log}), errors:")
        for line in excerpt:
            print(f"  | {line}")
    return not problems


def report(name: str, options: Options, load: LoadFigures) -> None:
    window = load.window_s
    errors = sum(load.errors.values())
    by_status = ", ".join(f"{s}: {n}" for s, n in sorted(load.errors.items()))
    rows = [
        ("backend", name),
        (
            "setup",
            f"{options.clients} clients, gunicorn -w {options.workers} "
            f"--threads {options.threads}, {options.members} members",
        ),
        ("window", f"{window:.1f} s after {options.warmup:g} s warm-up"),
        ("requests", f"{load.requests}"),
        ("deposits created", f"{load.created}"),
        ("replays", f"{load.replays}"),
        ("errors", f"{errors}" + (f" ({by_status})" if by_status else "")),
        ("connection retries", f"{load.retries}"),
        ("deposits/s", f"{load.created / window:.1f}"),
        ("requests/s", f"{load.requests / window:.1f}"),
    ]
    rows += [
        (f"latency p{label} ms", f"{percentile(load.latencies_ms, share):.1f}")
        for label, share in (("50", 0.5), ("90", 0.9), ("99", 0.99))
    ]
    rows.append(
        ("latency max ms", f"{load.latencies_ms[-1]:.1f}" if load.latencies_ms else "-")
    )
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")


# -- main ----------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backend", choices=("sqlite", "postgres", "both"), default="both"
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="measured window")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured start")
    parser.add_argument("--clients", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--replay-share", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--postgres-url",
        help="an existing database to use (kept); default: a temporary database",
    )
    parser.add_argument(
        "--maintenance-url",
        default=MAINTENANCE_URL,
        help="where the temporary PostgreSQL database is created and dropped",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary directory and logs"
    )
    args = parser.parse_args(argv)
    options = Options(
        seconds=args.seconds,
        warmup=args.warmup,
        clients=args.clients,
        workers=args.workers,
        threads=args.threads,
        members=args.members,
        replay_share=args.replay_share,
        seed=args.seed,
        keep=args.keep,
    )
    workdir = Path(tempfile.mkdtemp(prefix="bench-counter-"))
    consistent = True
    try:
        if args.backend in ("sqlite", "both"):
            url = f"sqlite:///{workdir / 'counter.db'}"
            consistent &= run_backend("sqlite", url, options, workdir)
        if args.backend in ("postgres", "both"):
            if args.postgres_url:
                consistent &= run_backend(
                    "postgres", args.postgres_url, options, workdir
                )
            else:
                with temporary_postgres(args.maintenance_url) as url:
                    consistent &= run_backend("postgres", url, options, workdir)
    finally:
        if options.keep:
            print(f"\nlogs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if consistent else 1


if __name__ == "__main__":
    sys.exit(main())
