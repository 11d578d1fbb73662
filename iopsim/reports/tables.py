"""Number formatting shared by every table the tool prints."""

from __future__ import annotations

import math

from ..analysis.finance import is_money


def decimals_for(x: float | None, unit: str = "") -> int:
    """Decimals that show about three significant figures of x (0 to 3); none for money ('USD/yr')."""
    if is_money(unit):
        return 0
    if x is None or not math.isfinite(x) or x == 0:
        return 1
    return max(0, min(3, 2 - math.floor(math.log10(abs(x)))))


def format_value(x: float | None, decimals: int | None = None) -> str:
    """A number for a table: about three significant figures, thousands separated; '–' if undefined."""
    if x is None or not math.isfinite(x):
        return "–"
    d = decimals_for(x) if decimals is None else decimals
    return f"{x:,.{d}f}"


def format_money(x: float | None) -> str:
    """An amount of money: whole units with thousands separated ('1,020,000', '-35,210'); '–' if undefined.

    Never e-notation, whatever the size: budgets are read digit by digit.
    """
    if x is None or not math.isfinite(x):
        return "–"
    return f"{x:,.0f}"
