"""Counting words: plurals, "today" and "yesterday", and a schedule's days in natural words.

The program writes in plain international English, and these are the only words it
counts in, so they live here rather than in a library: ``humanize`` and ``babel`` render
durations as "a month" or "1 month" but have no "fortnightly" or "once a fortnight", which
are what the program's own description says. Dates and times are never written here:
posts show them as Discord timestamps, which Discord renders in each reader's own zone and
language.
"""

from __future__ import annotations

__all__ = [
    "cadence",
    "days_ago",
    "every",
    "number_word",
    "once_every",
    "plural",
    "round_length",
    "span",
]

_WORDS: tuple[str, ...] = (
    "zero", "one", "two", "three", "four", "five", "six",
    "seven", "eight", "nine", "ten", "eleven", "twelve",
)  # fmt: skip
# A period of this many days reads as whole months ("one month to go", "in two months").
_MONTHS = {30: 1, 31: 1, 60: 2, 61: 2, 62: 2, 90: 3, 91: 3, 92: 3}
MONTHLY = range(28, 32)  # "monthly", "once a month": what people call every four weeks too


def number_word(count: int) -> str:
    """``four`` for 4, up to twelve; digits beyond (``30``), as style guides write them."""
    return _WORDS[count] if 0 <= count < len(_WORDS) else str(count)


def plural(count: int, singular: str, many: str | None = None, *, words: bool = False) -> str:
    """``1 day``, ``3 days`` (``many`` for irregular plurals); ``words`` spells the number
    out up to twelve (``two weeks``)."""
    number = number_word(count) if words else str(count)
    return f"{number} {singular if count == 1 else (many or singular + 's')}"


def days_ago(days: int) -> str:
    """``today``, ``yesterday``, ``3 days ago``."""
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{days} days ago"


def span(days: int) -> str:
    """A length of time in natural words: ``one month`` (30 days), ``two weeks`` (14),
    ``four weeks`` (28), ``ten days``, ``45 days``."""
    if days in _MONTHS:
        return plural(_MONTHS[days], "month", words=True)
    if days % 7 == 0 and days // 7 <= len(_WORDS) - 1:
        return plural(days // 7, "week", words=True)
    return plural(days, "day", words=True)


def round_length(days: int | None) -> str:
    """How long a round lasts: ``four months`` (``None``: the program's own length, four
    calendar months), ``twelve weeks``, ``17 weeks``, ``100 days``."""
    if days is None:
        return "four months"
    if days % 7 == 0:
        return plural(days // 7, "week", words=True)
    return plural(days, "day", words=True)


def cadence(days: int) -> str:
    """The adjective for something that comes back every ``days``: ``weekly``,
    ``fortnightly``, ``monthly``; ``regular`` for any other rhythm (there is no natural
    word for "every ten days")."""
    if days == 1:
        return "daily"
    if days == 7:
        return "weekly"
    if days == 14:
        return "fortnightly"
    if days in MONTHLY:
        return "monthly"
    return "regular"


def every(days: int) -> str:
    """``every day``, ``every week``, ``every two weeks``, ``every month``, ``every ten days``."""
    if days == 1:
        return "every day"
    if days in MONTHLY:
        return "every month"
    if days % 7 == 0 and days // 7 <= len(_WORDS) - 1:
        weeks = days // 7
        return "every week" if weeks == 1 else f"every {number_word(weeks)} weeks"
    return f"every {number_word(days)} days"


def once_every(days: int) -> str:
    """``once a week``, ``once a fortnight``, ``once a month``, ``once every ten days``."""
    if days == 1:
        return "once a day"
    if days == 7:
        return "once a week"
    if days == 14:
        return "once a fortnight"
    if days in MONTHLY:
        return "once a month"
    return "once " + every(days)
