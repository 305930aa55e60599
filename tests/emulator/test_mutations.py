"""The mutation check stays runnable: every mutant still finds its code and its tests.

The check itself (``python -m tests.emulator.mutations``) takes minutes and is run by hand;
this keeps it from rotting silently as the bot's code moves.
"""

from __future__ import annotations

import pytest

from tests.emulator.mutations import MUTANTS, ROOT, Mutant


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_each_mutant_finds_its_code_once_and_its_tests(mutant: Mutant) -> None:
    assert (ROOT / mutant.path).read_text(encoding="utf-8").count(mutant.old) == 1
    for test in mutant.tests:
        path, name = test.split("::")
        assert f"def {name}(" in (ROOT / path).read_text(encoding="utf-8"), test


def test_there_are_at_least_eight_distinct_mutants() -> None:
    assert len({m.name for m in MUTANTS}) == len(MUTANTS) >= 8
