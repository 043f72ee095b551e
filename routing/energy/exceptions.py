"""Domain errors of the waste-to-energy and landfill-diversion core.

Every error carries a stable ``code`` slug (the API error envelope's ``type``)
and the name of the offending parameter in ``field``. The HTTP status is
decided in ``wastebank/errors.py``, never here.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "EnergyModelError",
    "InvalidParameter",
    "InvalidYearRange",
    "UnknownClimateZone",
    "UnknownComponent",
]


class EnergyModelError(Exception):
    """Base class of every error raised by :mod:`routing.energy`."""

    code: ClassVar[str] = "energy_model_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        """Create the error.

        :param message: a human-readable sentence.
        :param field: the name of the offending parameter, if one is to blame.
        """
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidParameter(EnergyModelError):
    """A parameter is outside its documented range (negative mass, MCF > 1, ...)."""

    code = "invalid_parameter"
    field: str

    def __init__(self, field: str, message: str) -> None:
        """Create the error.

        :param field: the name of the offending parameter.
        :param message: a human-readable sentence.
        """
        super().__init__(message, field=field)
        self.field = field


class UnknownComponent(InvalidParameter):
    """A waste component, material class or bin stream key is not in the table."""

    code = "unknown_component"


class UnknownClimateZone(InvalidParameter):
    """The climate zone is not one of the four IPCC 2006 zones."""

    code = "unknown_climate_zone"


class InvalidYearRange(InvalidParameter):
    """A year range runs backwards or spans more than the allowed horizon."""

    code = "invalid_year_range"
