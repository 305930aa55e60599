"""What /apply form's autocomplete offers as someone types (no Discord needed)."""

from __future__ import annotations

from datetime import UTC, datetime

from cogs.applications import language_lists, zone_choices

NOW = datetime(2027, 3, 1, 6, tzinfo=UTC)


def test_languages_complete_the_last_of_a_list_by_name() -> None:
    assert language_lists("swa")[:2] == ["Swahili", "Swati"]
    offered = language_lists("en, Span")
    assert offered[0] == "English, Spanish"  # what was written is named, the last completed
    assert language_lists("English, ")[0] == "English"  # a finished list can be sent as is
    assert "English, English" not in language_lists("English, Eng")  # never twice
    assert all(len(listed) <= 100 for listed in language_lists("a, " * 40))


def test_zones_follow_the_country_chosen_so_far() -> None:
    assert zone_choices("KE", "", NOW) == [("Nairobi (UTC+03:00)", "Africa/Nairobi")]
    assert zone_choices("Kenya", "", NOW) == zone_choices("KE", "", NOW)
    assert [name for _, name in zone_choices("US", "chicago", NOW)] == ["America/Chicago"]
    # No country yet, or one not known: zones anywhere that match what was typed.
    anywhere = zone_choices(None, "Lagos", NOW)
    assert anywhere == [("Lagos (UTC+01:00), Nigeria", "Africa/Lagos")]
    assert zone_choices("Narnia", "Lagos", NOW) == anywhere
    assert len(zone_choices(None, "", NOW)) == 25
