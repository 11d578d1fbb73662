"""Counts in words, said right: "1 counselor", "2 counselors", "1 patient waiting", "0 rooms".

One helper, so that no message ever reads "1 counselors" or "1 point(s)".
"""

from __future__ import annotations

IRREGULAR = {"is": "are", "was": "were", "has": "have", "person": "people", "this": "these", "analysis": "analyses"}


def plural_of(noun: str) -> str:
    """The plural of an English noun (or a verb after its count: 'was' -> 'were'), for the words iopsim uses."""
    if noun in IRREGULAR:
        return IRREGULAR[noun]
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u"):
        return noun[:-1] + "ies"
    return noun + "s"


def plural(count: float, noun: str, plural_form: str | None = None) -> str:
    """'1 counselor', '3 counselors', '1.5 weeks': the count, then the noun in the form it takes.

    Only exactly 1 takes the singular ('0 rooms', '1.5 weeks'); a multi-word noun is pluralised on its
    last word ('group room' -> 'group rooms'); `plural_form` names an irregular plural the rules miss.
    """
    number = f"{count:g}" if isinstance(count, float) else str(count)
    return f"{number} {noun if count == 1 else (plural_form or _last_word_plural(noun))}"


def _last_word_plural(noun: str) -> str:
    head, _, last = noun.rpartition(" ")
    return f"{head} {plural_of(last)}" if head else plural_of(last)
