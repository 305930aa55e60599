"""Names people read for the ISO codes the program stores: countries and languages.

Backed by pycountry (ISO 3166-1 and ISO 639), so names follow the standards as they
change. A code the standard does not know is shown as given rather than guessed at.
"""

from __future__ import annotations

from functools import cache

import pycountry


@cache
def country_name(code: str) -> str:
    """The everyday English name of an ISO 3166-1 alpha-2 code: "TW" -> "Taiwan"."""
    country = pycountry.countries.get(alpha_2=code.upper())
    if country is None:
        return code
    # The standard's formal names ("Korea, Republic of") read oddly in a sentence;
    # pycountry keeps the everyday one as common_name where the two differ.
    return str(getattr(country, "common_name", None) or country.name)


@cache
def language_name(code: str) -> str:
    """The English name of an ISO 639-1 (or 639-3) code: "es" -> "Spanish"."""
    normal = code.lower()
    field = "alpha_2" if len(normal) == 2 else "alpha_3"
    language = pycountry.languages.get(**{field: normal})
    if language is None:
        return code
    name = str(getattr(language, "common_name", None) or language.name)
    # ISO 639-3 names some languages "Swahili (macrolanguage)": people say "Swahili".
    return name.removesuffix(" (macrolanguage)")


__all__ = ["country_name", "language_name"]
