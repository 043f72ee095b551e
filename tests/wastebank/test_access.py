"""Pure role and scoping rules."""

from __future__ import annotations

import pytest

from wastebank.access import (
    ROLE_ACTIONS,
    Action,
    Actor,
    BankRef,
    Role,
    oversees,
    reaches,
)

CITY, OTHER_CITY = 1, 2
INDUK = BankRef(bank_id=10, city_id=CITY, parent_id=None)
UNIT = BankRef(bank_id=11, city_id=CITY, parent_id=10)
SIBLING = BankRef(bank_id=12, city_id=CITY, parent_id=10)
ELSEWHERE = BankRef(bank_id=20, city_id=OTHER_CITY, parent_id=None)


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        (Actor(Role.ADMIN), (True, True, True, True)),
        (Actor(Role.DLH, city_id=CITY), (True, True, True, False)),
        (Actor(Role.DLH, city_id=None), (False, False, False, False)),
        (Actor(Role.MANAGER, bank_id=10), (True, True, True, False)),
        (Actor(Role.MANAGER, bank_id=11), (False, True, False, False)),
        (Actor(Role.CASHIER, bank_id=11), (False, True, False, False)),
        (Actor(Role.CASHIER, bank_id=10), (True, False, False, False)),
        (Actor(Role.DRIVER, city_id=CITY), (False, False, False, False)),
    ],
)
def test_who_reaches_which_bank(actor: Actor, expected: tuple[bool, ...]) -> None:
    assert (
        tuple(reaches(actor, bank) for bank in (INDUK, UNIT, SIBLING, ELSEWHERE))
        == expected
    )


def test_dlh_reads_but_moves_nothing_and_drivers_see_no_bank_data() -> None:
    assert Action.MEMBERS_READ in ROLE_ACTIONS[Role.DLH]
    assert Action.MEMBERS_WRITE not in ROLE_ACTIONS[Role.DLH]
    assert Action.CARDS_REISSUE not in ROLE_ACTIONS[Role.DLH]
    driving = {Action.OWN_ROUTES_READ, Action.ROUTE_EVENTS_WRITE}
    assert ROLE_ACTIONS[Role.DRIVER] == frozenset(driving)
    assert ROLE_ACTIONS[Role.ADMIN] == frozenset(Action) - driving
    assert Action.USERS_WRITE not in ROLE_ACTIONS[Role.MANAGER]


@pytest.mark.parametrize("action", [Action.OWN_ROUTES_READ, Action.ROUTE_EVENTS_WRITE])
def test_only_drivers_read_their_own_routes_and_report_on_their_stops(
    action: Action,
) -> None:
    holders = {role for role, actions in ROLE_ACTIONS.items() if action in actions}
    assert holders == {Role.DRIVER}


def test_drivers_do_nothing_else() -> None:
    assert Action.ROUTES_READ not in ROLE_ACTIONS[Role.DRIVER]
    assert Action.ROUTES_WRITE not in ROLE_ACTIONS[Role.DRIVER]


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        (Actor(Role.ADMIN), (True, True, True, True)),
        (Actor(Role.MANAGER, bank_id=10), (False, True, True, False)),
        (Actor(Role.MANAGER, bank_id=11), (False, False, False, False)),
        (Actor(Role.CASHIER, bank_id=10), (False, False, False, False)),
        (Actor(Role.DLH, city_id=CITY), (False, False, False, False)),
    ],
)
def test_only_an_admin_or_the_induks_manager_oversees_a_bank(
    actor: Actor, expected: tuple[bool, ...]
) -> None:
    """A bank's own manager never lifts the controls that restrain them."""
    assert (
        tuple(oversees(actor, bank) for bank in (INDUK, UNIT, SIBLING, ELSEWHERE))
        == expected
    )


def test_only_admins_change_the_catalogue_every_city_shares() -> None:
    holders = {
        role
        for role, actions in ROLE_ACTIONS.items()
        if Action.CATEGORIES_WRITE in actions
    }
    assert holders == {Role.ADMIN}
