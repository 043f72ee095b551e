"""Roles, what each role may do, and which banks a user reaches (pure rules).

The same rule exists twice on purpose: :func:`reaches` decides for one bank in Python, and
``services.visible_bank_filter`` expresses it in SQL for listings. A test checks that the two
agree on every role against its own bank, another bank and its parent induk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from wastebank.exceptions import PermissionDenied


class Role(StrEnum):
    """A user's role; each user has exactly one."""

    ADMIN = "admin"  # everything, every city
    DLH = "dlh"  # the city's environment agency: reads every bank in its city, moves no money
    MANAGER = "manager"  # one bank (an induk's manager also reaches its units)
    CASHIER = "cashier"  # one bank: members, deposits, withdrawal requests
    DRIVER = "driver"  # their own routes only


class Action(StrEnum):
    """Things a role may be allowed to do, checked before any bank scoping."""

    BANKS_READ = "banks:read"
    BANKS_WRITE = "banks:write"
    USERS_WRITE = "users:write"
    MEMBERS_READ = "members:read"
    MEMBERS_WRITE = "members:write"
    CARDS_REISSUE = "cards:reissue"
    # The catalogue of waste categories every city shares, and their price ceilings: a
    # change reaches every bank of every city, so it is the admins' alone.
    CATEGORIES_WRITE = "categories:write"
    PRICES_WRITE = "prices:write"
    BANK_SETTINGS_WRITE = "bank-settings:write"  # withdrawal minimum and fee; district
    # A bank's controls (that approver and payer differ): see :func:`oversees`.
    BANK_CONTROLS_WRITE = "bank-controls:write"
    DEPOSITS_WRITE = "deposits:write"
    DEPOSITS_REVERSE = "deposits:reverse"
    WITHDRAWALS_REQUEST = "withdrawals:request"
    WITHDRAWALS_DECIDE = "withdrawals:decide"  # approve or reject
    WITHDRAWALS_PAY = "withdrawals:pay"
    BINS_READ = "bins:read"  # collection points, their sensors and readings
    BINS_WRITE = "bins:write"  # register and change bins and sensors
    ROUTES_READ = "routes:read"  # route plans, trucks, depots, disposal facilities
    ROUTES_WRITE = "routes:write"  # plan routes; register trucks, depots, facilities
    OWN_ROUTES_READ = "own-routes:read"  # a driver's own dispatched routes and stops
    # A driver's reports on the stops of their own routes: collected, skipped, unloaded.
    ROUTE_EVENTS_WRITE = "route-events:write"
    BOOKS_READ = "books:read"  # stock, sales, cash book, the books and their summaries
    SALES_WRITE = (
        "sales:write"  # buyers, sales; a unit's shipments; an induk's rejections
    )
    # Weigh and receive a shipment from a unit at the induk (the induk's own staff only).
    SHIPMENTS_RECEIVE = "shipments:receive"
    # The purchase cost and margin of sales and shipments: managers, DLH and admins.
    COSTS_READ = "costs:read"
    STOCK_ADJUST = "stock:adjust"  # stock-taking corrections with a reason
    CASH_WRITE = "cash:write"  # expenses and other income in the cash book
    REPORTS_READ = "reports:read"  # the city's diversion report and its inputs
    WASTE_FLOWS_WRITE = "waste-flows:write"  # TPA tickets, treatment, city profile
    # Members' phone numbers and messages: the bank's managers, not its cashiers or DLH.
    NOTIFICATIONS_READ = "notifications:read"  # the outbox of a bank, with statuses
    NOTIFICATIONS_WRITE = "notifications:write"  # the gateway config; retry a message


_STAFF_READ = frozenset({Action.BANKS_READ, Action.MEMBERS_READ})
_COUNTER = _STAFF_READ | {
    Action.MEMBERS_WRITE,
    Action.CARDS_REISSUE,
    Action.DEPOSITS_WRITE,
    Action.WITHDRAWALS_REQUEST,
    # The cashier hands out the cash of an approved withdrawal.
    Action.WITHDRAWALS_PAY,
    # The back office's books are read at the counter too (stock, buku kas).
    Action.BOOKS_READ,
    # At an induk the cashiers weigh what the units bring, as they weigh deposits.
    Action.SHIPMENTS_RECEIVE,
}
_MANAGEMENT = {
    Action.SALES_WRITE,
    Action.COSTS_READ,
    Action.STOCK_ADJUST,
    Action.CASH_WRITE,
    Action.PRICES_WRITE,
    Action.BANK_SETTINGS_WRITE,
    Action.BANK_CONTROLS_WRITE,  # for the induk's units only (oversees)
    Action.DEPOSITS_REVERSE,
    Action.WITHDRAWALS_DECIDE,
    Action.NOTIFICATIONS_READ,
    Action.NOTIFICATIONS_WRITE,
}

#: What only the driver of a route does: read it, and report on its stops.
_DRIVING = frozenset({Action.OWN_ROUTES_READ, Action.ROUTE_EVENTS_WRITE})

ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    # Everything but a driver's own routes and stop reports: an admin drives no truck,
    # and "my routes" answers 403 to every role but the driver's.
    Role.ADMIN: frozenset(Action) - _DRIVING,
    # DLH runs the city's collection: bins, sensors, trucks and route plans of its city.
    Role.DLH: _STAFF_READ
    | {
        Action.BINS_READ,
        Action.BINS_WRITE,
        Action.ROUTES_READ,
        Action.ROUTES_WRITE,
        Action.BOOKS_READ,
        # DLH supervises the banks' books, the profit and loss with its margins too.
        Action.COSTS_READ,
        Action.REPORTS_READ,
        Action.WASTE_FLOWS_WRITE,
    },
    # A manager may see the city's bins (where the TPS near the bank stand); cashiers and
    # drivers get nothing here (drivers see their stops through their routes).
    Role.MANAGER: _COUNTER | _MANAGEMENT | {Action.BINS_READ},
    Role.CASHIER: _COUNTER,
    # Drivers see only the routes dispatched to them, never plans, bins or bank data.
    # They report on the stops of those routes, and on nothing else.
    Role.DRIVER: _DRIVING,
}

#: Roles that belong to exactly one bank.
BANK_ROLES = frozenset({Role.MANAGER, Role.CASHIER})


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user, or the system itself (CLI, demo loader) as an admin."""

    role: Role
    user_id: int | None = None
    bank_id: int | None = None
    city_id: int | None = None

    def can(self, action: Action) -> bool:
        """Whether the role allows ``action`` at all (bank scoping comes on top)."""
        return action in ROLE_ACTIONS[self.role]


#: The actor used by CLI commands and the demo loader.
SYSTEM = Actor(role=Role.ADMIN)


@dataclass(frozen=True)
class BankRef:
    """The three facts about a bank that scoping needs."""

    bank_id: int
    city_id: int | None
    parent_id: int | None


def reaches(actor: Actor, bank: BankRef) -> bool:
    """Whether ``actor`` may see (and, with the right action, change) ``bank``'s data.

    :param actor: the acting user.
    :param bank: the bank the data belongs to.
    :returns: True for an admin; for dlh when the bank is in their city; for a manager when
        it is their bank or a unit under their induk; for a cashier when it is their bank.
    """
    if actor.role is Role.ADMIN:
        return True
    if actor.role is Role.DLH:
        return actor.city_id is not None and bank.city_id == actor.city_id
    if actor.role is Role.MANAGER:
        return actor.bank_id is not None and actor.bank_id in (
            bank.bank_id,
            bank.parent_id,
        )
    if actor.role is Role.CASHIER:
        return actor.bank_id is not None and bank.bank_id == actor.bank_id
    return False


def oversees(actor: Actor, bank: BankRef) -> bool:
    """Whether ``actor`` stands above ``bank``, so may change the controls that bind it.

    A control, such as "approver and payer are two people", restrains the bank's own
    manager, so that manager must not be the one who can lift it: an admin may, and for a
    unit the manager of its induk. An induk's and a mandiri bank's controls are the
    admin's.

    :param actor: the acting user (their role must also allow
        :attr:`Action.BANK_CONTROLS_WRITE`).
    :param bank: the bank whose control changes.
    :returns: True for an admin, and for the manager of the bank's induk.
    """
    if actor.role is Role.ADMIN:
        return True
    return (
        actor.role is Role.MANAGER
        and actor.bank_id is not None
        and bank.parent_id == actor.bank_id
    )


def works_at(actor: Actor, bank_id: int) -> bool:
    """Whether ``actor`` is the bank's own staff (or an admin).

    A bank's own decisions are not taken by staff who merely reach it: an induk's manager
    reaches its units but does not dispatch their shipments, and a unit's staff reach
    their shipment but do not receive it for the induk.

    :param actor: the acting user.
    :param bank_id: the bank whose decision it is.
    """
    if actor.role is Role.ADMIN:
        return True
    return actor.role in BANK_ROLES and actor.bank_id == bank_id


def reaches_city(actor: Actor, city_id: int | None) -> bool:
    """Whether ``actor`` may see (and, with the right action, change) a city's bins.

    :param actor: the acting user.
    :param city_id: the city the bin belongs to; ``None`` for a bin in no city.
    :returns: True for an admin; for anyone else only when ``city_id`` is their city.
    """
    if actor.role is Role.ADMIN:
        return True
    return actor.city_id is not None and city_id == actor.city_id


def require(
    actor: Actor,
    action: Action,
    error: Callable[[str], Exception] = PermissionDenied,
) -> None:
    """Refuse an actor whose role may not do ``action`` at all.

    :param actor: the acting user.
    :param action: what they are about to do.
    :param error: the class raised with the message; routing passes its own.
    :raises PermissionDenied: (or ``error``) the role does not allow ``action``.
    """
    if not actor.can(action):
        raise error(f"Your role ({actor.role}) may not do this ({action}).")
