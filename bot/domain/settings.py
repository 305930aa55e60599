"""What a settings model says about values it refuses, so the config loader can name each
key (``round.round_weeks: ...``) even when the rule that refused it spans several keys."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SettingProblem:
    """One refused setting: its key inside the model, what is wrong (with the allowed
    range), and the value it was given."""

    key: str
    problem: str
    got: object


class SettingProblems(ValueError):
    """Raised by a model validator for settings that are each fine but do not fit together."""

    def __init__(self, problems: list[SettingProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.key}: {p.problem} (got {p.got!r})" for p in problems))
