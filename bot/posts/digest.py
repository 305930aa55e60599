"""The coordinators' weekly digest: cases, quiet pairs and check-in results."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from bot.domain.checkins import RATING_LABELS
from bot.domain.wording import span
from bot.posts._text import EMBED_COLOUR, plural
from bot.posts.base import CoordinatorsTarget, Post, RenderContext
from bot.services.ports import Draft

LINES_SHOWN = 10


class WeeklyDigest(Post):
    """The week as the planner saw it at the digest's hour (a digest reports a moment, so
    its figures travel in the post; a late send still reports that moment)."""

    kind: Literal["weekly_digest"] = "weekly_digest"
    event: ClassVar[str] = "digest_posted"
    target: CoordinatorsTarget = CoordinatorsTarget()
    week_of: date
    open_cases: tuple[str, ...]  # one line each, oldest first
    opened: int
    handled: int
    pairs: int
    quiet: tuple[str, ...]  # one line each, most at risk first
    checkins: dict[str, int]  # answers given this week, by rating

    @property
    def key(self) -> str:
        return f"digest:{self.week_of.isoformat()}"

    async def render(self, context: RenderContext) -> Draft | None:
        cases = [
            f"{plural(len(self.open_cases), 'case')} open; this week "
            f"{plural(self.opened, 'case')} opened or reopened and {self.handled} handled."
        ]
        cases += [f"- {line}" for line in self.open_cases[:LINES_SHOWN]]
        if len(self.open_cases) > LINES_SHOWN:
            cases.append(f"…and {len(self.open_cases) - LINES_SHOWN} more: `/case list`.")
        quiet = [
            f"{plural(len(self.quiet), 'pair')} of {self.pairs} quiet for "
            f"{span(context.config.nudges.quiet_after_days)} or more."
        ]
        quiet += [f"- {line}" for line in self.quiet[:LINES_SHOWN]]
        if len(self.quiet) > LINES_SHOWN:
            quiet.append(f"…and {len(self.quiet) - LINES_SHOWN} more: `/pair health`.")
        answers = sum(self.checkins.values())
        checkins = (
            ", ".join(
                f"{RATING_LABELS[rating]}: {self.checkins[rating]}"
                for rating in RATING_LABELS
                if self.checkins.get(rating)
            )
            if answers
            else "no answers this week"
        )
        embed = {
            "title": f"Weekly digest, week of {self.week_of.day} {self.week_of:%B %Y}",
            "color": EMBED_COLOUR,
            "fields": [
                {"name": "Cases", "value": "\n".join(cases)[:1024], "inline": False},
                {"name": "Quiet pairs", "value": "\n".join(quiet)[:1024], "inline": False},
                {
                    "name": "Check-in answers",
                    "value": f"{plural(answers, 'answer')}: {checkins}"[:1024],
                    "inline": False,
                },
            ],
        }
        return Draft(embeds=(embed,))
