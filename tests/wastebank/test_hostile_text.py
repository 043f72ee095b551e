"""Hostile text in everything a user can type, on every page and map that shows it (#15).

One string with markup and script goes into every name, note, reason and description the
product stores (addresses get a ``javascript:`` variant, what a link could carry): the
demo city's rows are rewritten, and a few come in through the real forms and the API as
an attacker would send them. Then a browser opens every page in :data:`PAGES` as a user
who may see it, hovering the map markers. On no page may a dialog open, an element be
made from the text (an ``<img src=x>``, an ``on…=`` handler, an inline script, a
``javascript:`` link), a script fail or the Content-Security-Policy report a violation
(our own pages must live within it); and the text must be visible as text, so the page
really rendered it.

To cover a new page, add a :class:`Visit` to :data:`PAGES`; a new table's text columns go
into :data:`HOSTILE_COLUMNS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect
from sqlalchemy.orm import Session

from routing.models import Depot, Facility, RoutePlanSkip, RouteStopEvent, Truck
from telemetry.models import Alert, Bin
from tests.wastebank.conftest import DESKTOP
from tests.wastebank.test_dlh_dashboard import demo_data  # noqa: F401 - fixture
from wastebank import demo, services
from wastebank.models import (
    Bank,
    Buyer,
    CashEntry,
    City,
    CityWasteProfile,
    Deposit,
    DepositLine,
    LedgerEntry,
    Member,
    Sale,
    SaleLine,
    Shipment,
    ShipmentLine,
    StockAdjustment,
    TpaDelivery,
    TreatmentInput,
    User,
    WasteCategory,
    Withdrawal,
)

pytestmark = pytest.mark.integration

#: Runs script wherever it is put in as HTML: an image that fails to load, a script
#: element, and quotes to break out of an attribute.
HOSTILE = """<img src=x onerror=alert(document.domain)>"'><script>alert(1)</script>"""
#: What a link made from the text would run.
HOSTILE_LINK = "javascript:alert(document.domain)//"


def hostile(label: str, *, link: bool = False) -> str:
    """The hostile text, marked with where it was put (``[bins.name]``)."""
    return f"{HOSTILE_LINK if link else ''}{HOSTILE} [{label}]"


#: Every text column a user fills in, by model; addresses get the ``javascript:`` form.
#: Only rows that have a value are rewritten (a note stays absent where there was none).
HOSTILE_COLUMNS: dict[type, tuple[str, ...]] = {
    City: ("name", "province", "dlh_name"),
    Bank: ("name", "address", "district"),
    User: ("full_name",),
    Member: ("name", "address", "kelurahan"),
    WasteCategory: ("name_id", "name_en"),
    Deposit: ("reversal_reason",),
    DepositLine: ("category_name",),
    Withdrawal: ("note", "rejection_reason"),
    LedgerEntry: ("description",),
    Buyer: ("name", "address"),
    Sale: ("note",),
    SaleLine: ("category_name",),
    Shipment: ("note", "receive_note", "return_reason"),
    ShipmentLine: ("category_name",),
    StockAdjustment: ("reason",),
    CashEntry: ("description",),
    CityWasteProfile: ("tpa_name", "generation_source"),
    TpaDelivery: ("facility", "note"),
    TreatmentInput: ("facility", "note"),
    Bin: ("name", "district", "address"),
    Alert: ("message",),
    Depot: ("name", "address"),
    Facility: ("name", "address"),
    Truck: ("name",),
    RouteStopEvent: ("note",),
    RoutePlanSkip: ("reason",),
}


@dataclass
class Ids:
    """Records the pages are about (found or made by the setup)."""

    member: int  # a member of BSU01 with savings
    deposit: int  # that member's latest deposit
    withdrawal: int  # requested through the counter's form, with a hostile note
    sale: int  # a sale of the induk BSI01
    verify_code: str  # the deposit's receipt code
    received: int  # a unit's shipment the induk received
    in_transit: int  # a unit's shipment still on its way


@dataclass(frozen=True)
class Visit:
    """A page that shows typed text: who opens it, where, and what to do there."""

    page: str
    user: str | None  # a demo login; None: nobody logged in
    path: Callable[[Ids], str]
    #: Labels (see :func:`hostile`) whose text must be visible; () = the text at all.
    shows: tuple[str, ...] = ()
    #: Whether the page shows typed text at all (the login page does not).
    has_text: bool = True
    #: What to do there before the checks (hover the markers, wait for a result).
    then: Callable[[Page], None] | None = None
    status: int = 200


def _hover_markers(selector: str, *, tooltips: bool = False) -> Callable[[Page], None]:
    """Point at every marker on the map; with ``tooltips``, each opens one with the
    text in it. They stay open, so the page's text includes them."""

    def hover(page: Page) -> None:
        markers = page.locator(selector)
        expect(markers.first).to_be_attached()
        for marker in markers.all():
            marker.dispatch_event("mouseover")
        if tooltips:
            expect(page.locator(".leaflet-tooltip")).to_have_count(markers.count())
            for tooltip in page.locator(".leaflet-tooltip").all():
                expect(tooltip).to_contain_text(HOSTILE)

    return hover


def _plan_routes(page: Page) -> None:
    """Hover the bins, then plan tomorrow: the preview table is built by the script."""
    _hover_markers("path.bin-marker", tooltips=True)(page)
    form = page.locator("#plan-form")
    form.locator("[name=time_limit_s]").fill("1")
    form.get_by_role("button").click()
    expect(page.locator("#plan-routes tbody tr").first).to_be_visible(timeout=30_000)


def _swagger_ui(page: Page) -> None:
    expect(page.locator(".opblock").first).to_be_visible()


CASHIER, MANAGER, DLH, DRIVER = "kasir.bsu01", "manajer.bsi", "dlh.ambon", "sopir.1"

#: Every page that shows typed text, in the order the test opens them.
PAGES: list[Visit] = [
    # The counter and the member register (a unit's cashier).
    Visit(
        "counter",
        CASHIER,
        lambda ids: f"/counter?member={ids.member}",
        shows=("members.name", "waste_categories.name_id", "banks.name"),
    ),
    Visit(
        "deposit receipt",
        CASHIER,
        lambda ids: f"/deposits/{ids.deposit}/receipt",
        shows=("deposit_lines.category_name", "members.name"),
    ),
    Visit(
        "withdrawal receipt",
        CASHIER,
        lambda ids: f"/withdrawals/{ids.withdrawal}/receipt",
        shows=("members.name", "banks.name"),
    ),
    Visit(
        "member list",
        CASHIER,
        lambda ids: "/members?bank=BSU01",
        shows=("members.name", "form: member"),
    ),
    Visit(
        "member search",
        CASHIER,
        lambda ids: "/members?q=onerror",
        shows=("members.name",),
    ),
    Visit(
        "member page",
        CASHIER,
        lambda ids: f"/members/{ids.member}",
        shows=("members.name", "members.address"),
    ),
    Visit(
        "card sheet", CASHIER, lambda ids: "/banks/BSU01/cards", shows=("members.name",)
    ),
    Visit("new member form", CASHIER, lambda ids: "/members/new"),
    # The back office and its books (the induk's manager).
    Visit(
        "back office of the induk",
        MANAGER,
        lambda ids: "/banks/BSI01/backoffice",
        shows=("buyers.name", "waste_categories.name_id"),
    ),
    Visit(
        "back office of a unit",
        MANAGER,
        lambda ids: "/banks/BSU01/backoffice",
        shows=("buyers.name", "form: buyer"),
    ),
    Visit(
        "buku induk nasabah",
        MANAGER,
        lambda ids: "/banks/BSU01/books/induk-nasabah",
        shows=("members.name", "members.address"),
    ),
    Visit(
        "buku penimbangan",
        MANAGER,
        lambda ids: "/banks/BSU01/books/penimbangan",
        shows=("members.name", "deposit_lines.category_name"),
    ),
    Visit(
        "buku penjualan",
        MANAGER,
        lambda ids: "/banks/BSI01/books/penjualan",
        shows=("buyers.name",),
    ),
    Visit(
        "buku kas",
        MANAGER,
        lambda ids: "/banks/BSU01/books/kas",
        shows=("cash_entries.description", "form: cash entry"),
    ),
    Visit(
        "buku tabungan",
        MANAGER,
        lambda ids: f"/members/{ids.member}/savings-book",
        shows=("members.name", "ledger_entries.description"),
    ),
    Visit(
        "sale receipt",
        MANAGER,
        lambda ids: f"/sales/{ids.sale}",
        shows=("buyers.name", "sale_lines.category_name"),
    ),
    Visit(
        "new sale form",
        MANAGER,
        lambda ids: "/banks/BSI01/sales/new",
        shows=("buyers.name",),
    ),
    Visit("new cash entry form", MANAGER, lambda ids: "/banks/BSU01/cash-entries/new"),
    Visit(
        "shipments of the induk",
        MANAGER,
        lambda ids: "/banks/BSI01/shipments",
        shows=("banks.name",),
    ),
    Visit(
        "received shipment",
        MANAGER,
        lambda ids: f"/shipments/{ids.received}",
        shows=("banks.name", "shipment_lines.category_name"),
    ),
    Visit(
        "receiving a shipment",
        MANAGER,
        lambda ids: f"/shipments/{ids.in_transit}/receive",
        shows=("shipment_lines.category_name",),
    ),
    Visit(
        "new shipment form",
        "manajer.bsu01",
        lambda ids: "/banks/BSU01/shipments/new",
        shows=("waste_categories.name_id",),
    ),
    Visit("profit and loss", MANAGER, lambda ids: "/banks/BSU01/profit-and-loss"),
    Visit("bank summary", MANAGER, lambda ids: "/banks/BSI01/summary"),
    Visit("member import", MANAGER, lambda ids: "/banks/BSU01/members/import"),
    Visit(
        "price page",
        MANAGER,
        lambda ids: "/banks/BSU01/prices",
        shows=("waste_categories.name_id", "banks.name"),
    ),
    Visit(
        "own password",
        MANAGER,
        lambda ids: "/account/password",
        shows=("users.full_name",),
    ),
    # The DLH: control room with its map and plan preview, dashboard, city reports.
    Visit(
        "control room (map, tooltips, plan preview)",
        DLH,
        lambda ids: "/dlh",
        shows=("cities.name", "trucks.name", "api: bin", "users.full_name"),
        then=_plan_routes,
    ),
    Visit(
        "diversion dashboard",
        DLH,
        lambda ids: "/dlh/diversion",
        shows=("banks.district",),
    ),
    Visit("back office banks", DLH, lambda ids: "/backoffice", shows=("banks.name",)),
    Visit("city summary", DLH, lambda ids: "/cities/AMB/summary"),
    Visit("SIPSN report", DLH, lambda ids: "/cities/AMB/sipsn"),
    Visit(
        "control room in English (alert texts)",
        DLH,
        lambda ids: "/lang/en?next=/dlh",
        shows=("alerts.message",),
        then=_hover_markers("path.bin-marker", tooltips=True),
    ),
    # The driver's list and map.
    Visit(
        "driver's route (list and map)",
        DRIVER,
        lambda ids: "/driver",
        shows=("bins.name", "facilities.name"),
        then=_hover_markers(".stop-pin"),
    ),
    # An admin's city choice.
    Visit("control room cities", "admin", lambda ids: "/dlh", shows=("cities.name",)),
    Visit("users", "admin", lambda ids: "/users", shows=("users.full_name",)),
    # Public pages.
    Visit(
        "receipt check (QR link)",
        None,
        lambda ids: f"/receipts/verify#{ids.verify_code}",
        shows=("banks.name",),
        then=lambda page: expect(page.locator("#verify-total")).to_be_visible(),
    ),
    Visit(
        "receipt check (old link)",
        None,
        lambda ids: f"/r/{ids.verify_code}",
        shows=("banks.name",),
    ),
    Visit(
        "API docs", None, lambda ids: "/api/v1/docs", has_text=False, then=_swagger_ui
    ),
    Visit("login", None, lambda ids: "/login", has_text=False),
    Visit("not found", None, lambda ids: "/no-such-page", has_text=False, status=404),
]

#: Collects what the policy refused, before any of the page's own scripts run.
_WATCH_POLICY = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""
#: What the page made of the text: elements and attributes no page of ours has.
_INJECTED = """() => {
  const found = [];
  for (const el of document.querySelectorAll("*")) {
    for (const attribute of el.attributes) {
      if (/^on/i.test(attribute.name)) found.push(`${el.tagName} ${attribute.name}`);
      if (/^\\s*javascript:/i.test(attribute.value) && /^(href|src|action|formaction)$/i
          .test(attribute.name)) found.push(`${el.tagName} ${attribute.name}=javascript:`);
    }
  }
  for (const img of document.querySelectorAll('img[src="x"]')) found.push("IMG src=x");
  for (const script of document.querySelectorAll("script:not([src])")) {
    if (script.type !== "application/json") found.push("inline SCRIPT");
  }
  return {found, violations: window.__violations || [], text: document.body.innerText};
}"""
#: A 1x1 PNG: the map tiles, served without the internet.
_TILE = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def _rewrite_with_hostile_text(db: Session) -> None:
    """Put the hostile text into every typed column of the demo city's rows."""
    for model, columns in HOSTILE_COLUMNS.items():
        table = model.__table__  # type: ignore[attr-defined]
        for name in columns:
            column = table.c[name]
            text = hostile(f"{table.name}.{name}", link=name == "address")
            length = getattr(column.type, "length", None)
            db.execute(
                table.update()
                .where(column.is_not(None))
                .values({name: text[:length] if length else text})
            )
    db.commit()


def _log_in(page: Page, base: str, user: str | None) -> None:
    page.context.clear_cookies()
    if user is None:
        return
    page.goto(base + "/login")
    page.get_by_label("Nama pengguna").fill(user)
    page.get_by_label("Kata sandi").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("button", name="Keluar")).to_be_visible()


def _richest_member(db: Session) -> Member:
    members = db.scalars(
        sa.select(Member).join(Bank).where(Bank.code == "BSU01").order_by(Member.id)
    ).all()
    return max(members, key=lambda m: services.member_position(db, m.id).balance_rp)


def _type_through_the_forms(page: Page, base: str, db: Session) -> Ids:
    """Enter hostile text as users would: forms, the API, the driver's page."""
    member = _richest_member(db)
    # A cashier registers a member and asks for a withdrawal with a note.
    _log_in(page, base, CASHIER)
    page.goto(base + "/members/new")
    page.get_by_label("Nama *").fill(hostile("form: member"))
    page.get_by_label("Alamat").fill(hostile("form: member address", link=True))
    page.locator("main form [type=submit]").click()
    expect(page.locator("h1")).to_contain_text(HOSTILE)
    page.goto(f"{base}/counter?member={member.id}")
    withdrawal = page.locator("#withdrawal-form")
    withdrawal.locator("[name=amount]").fill("1000")
    withdrawal.locator("[name=note]").fill(hostile("form: withdrawal note"))
    withdrawal.get_by_role("button").click()
    expect(page).to_have_url(re.compile(r"/withdrawals/\d+/receipt$"))
    withdrawal_id = int(page.url.split("/")[-2])
    # The unit's manager's cash book gets an expense, typed in.
    _log_in(page, base, "manajer.bsu01")
    page.goto(base + "/banks/BSU01/cash-entries/new")
    page.locator("[name=amount]").fill("2500")
    page.locator("[name=description]").fill(hostile("form: cash entry"))
    page.locator("main form[method=post] [type=submit]").click()
    expect(page.locator("main")).to_contain_text("[form: cash entry]")
    page.goto(base + "/banks/BSU01/backoffice")
    page.get_by_label("Nama pembeli").fill(hostile("form: buyer"))
    page.get_by_role("button", name="Daftarkan pembeli").click()
    expect(page.locator("#buyers")).to_contain_text("[form: buyer]")
    # The attack of the issue: a DLH user renames a bin through the API.
    _log_in(page, base, None)
    token = page.request.post(
        base + "/api/v1/auth/token",
        data={"username": DLH, "password": demo.DEMO_PASSWORD},
    ).json()["access_token"]
    bin_code = db.scalars(sa.select(Bin.code).order_by(Bin.code)).first()
    renamed = page.request.patch(
        f"{base}/api/v1/bins/{bin_code}",
        data={"name": hostile("api: bin")},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert renamed.ok, renamed.text()
    # A driver reports a collection with a note.
    _log_in(page, base, DRIVER)
    stop = page.locator('#stops li[data-kind="stop"][data-state="open"]').first
    stop.locator(".note").fill(hostile("form: driver note"))
    stop.locator(".do-collect").click()
    expect(page.locator("#pending")).to_be_hidden()

    db.rollback()  # see what the requests committed
    deposit = db.scalars(
        sa.select(Deposit)
        .where(Deposit.member_id == member.id)
        .order_by(Deposit.id.desc())
    ).first()
    sale = db.scalars(
        sa.select(Sale)
        .join(Bank, Sale.bank_id == Bank.id)
        .where(Bank.code == "BSI01")
        .order_by(Sale.id)
    ).first()
    shipments = {
        status: shipment_id
        for shipment_id, status in db.execute(sa.select(Shipment.id, Shipment.status))
    }
    assert deposit is not None and sale is not None
    return Ids(
        member.id,
        deposit.id,
        withdrawal_id,
        sale.id,
        deposit.verify_code,
        received=shipments["received"],
        in_transit=shipments["in_transit"],
    )


@pytest.fixture
def hostile_browser(browser: Browser) -> Iterator[BrowserContext]:
    """A desktop browser that sees the policy's violations; map tiles come from here."""
    context = browser.new_context(
        **DESKTOP, locale="id-ID", timezone_id="Asia/Jayapura"
    )

    def offline(route: Route) -> None:
        if "tile.openstreetmap.org" in route.request.url:
            route.fulfill(status=200, content_type="image/png", body=_TILE)
        else:
            route.abort()

    context.route(re.compile(r"https?://(?!127\.0\.0\.1).*"), offline)
    context.add_init_script(_WATCH_POLICY)
    yield context
    context.close()


def _check(page: Page, visit: Visit, events: list[str]) -> list[str]:
    """What went wrong on the page just opened (empty: nothing)."""
    # A page answered with 404 on purpose: the browser says so in the console.
    expected = f"responded with a status of {visit.status} "
    problems = [
        event
        for event in events
        if not (event.startswith("console error: Failed to load") and expected in event)
    ]
    seen: dict[str, Any] = page.evaluate(_INJECTED)
    problems += [f"made from the text: {what}" for what in seen["found"]]
    problems += [f"policy violation: {what}" for what in seen["violations"]]
    text = seen["text"].lower()
    wanted = [f"[{label}]" for label in visit.shows] or ([HOSTILE] * visit.has_text)
    for marker in wanted:
        if HOSTILE.lower() not in text or marker.lower() not in text:
            problems.append(f"the text {marker!r} is not shown")
    return [f"{visit.page}: {problem}" for problem in dict.fromkeys(problems)]


def test_hostile_text_is_shown_as_text_on_every_page(
    hostile_browser: BrowserContext,
    live_server: str,
    db: Session,
    demo_data: None,  # noqa: F811 - the fixture imported above
) -> None:
    _rewrite_with_hostile_text(db)
    page = hostile_browser.new_page()
    events: list[str] = []
    page.on(
        "dialog",
        lambda dialog: (events.append(f"dialog {dialog.message!r}"), dialog.dismiss()),
    )
    page.on("pageerror", lambda error: events.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: (
            events.append(f"console {message.type}: {message.text}")
            if message.type in ("error", "warning")
            else None
        ),
    )
    ids = _type_through_the_forms(page, live_server, db)
    assert events == [], events

    problems: list[str] = []
    user: str | None = "nobody yet"
    for visit in PAGES:
        if visit.user != user:
            _log_in(page, live_server, visit.user)
            user = visit.user
        events.clear()
        try:
            response = page.goto(live_server + visit.path(ids))
            assert response is not None and response.status == visit.status, (
                f"status {response and response.status}"
            )
            if visit.then is not None:
                visit.then(page)
        except AssertionError as error:
            problems.append(f"{visit.page}: {error}")
        problems += _check(page, visit, events)
    assert problems == [], "\n".join(problems)
