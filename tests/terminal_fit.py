"""What every command's terminal output must do at 80 columns: no line wider, nothing cut with '…'."""

from __future__ import annotations

WIDTH = 80
NARROW = {"COLUMNS": str(WIDTH)}


def assert_fits(text: str, width: int = WIDTH) -> None:
    """No line wider than `width` but for a file path that cannot be broken, and no '…'."""
    wide = [line for line in text.splitlines() if len(line.rstrip()) > width and not _wide_for_a_path(line, width)]
    assert not wide, f"{len(wide)} lines wider than {width} columns, e.g. {wide[0]!r}"
    assert "…" not in text, "a column or sentence was cut with '…'"


def flat(text: str) -> str:
    """The text with every run of whitespace made one space: sentences wrapped at the width read whole."""
    return " ".join(text.split())


def _wide_for_a_path(line: str, width: int) -> bool:
    paths = [word for word in line.split() if "/" in word]
    return bool(paths) and len(line.rstrip()) - max(len(p) for p in paths) <= width


def in_order(phrase: str, text: str) -> bool:
    """Whether the words of `phrase` occur in `text` in order: a label wrapped inside a table cell reads
    across the lines of the table, interleaved with the other columns."""
    words = iter(text.split())
    return all(any(word == w for w in words) for word in phrase.split())
