"""What the bot tells coordinators about itself: missing permissions, work Discord refuses."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from bot.posts.base import CaseTarget, CoordinatorsTarget, Post, RenderContext, Work
from bot.posts.cases import failure_subject, for_case, on_case
from bot.services.ports import Draft
from bot.store import Scheduled

MESSAGE_LIMIT = 2000


class MissingPermissions(Post):
    kind: Literal["missing_permissions"] = "missing_permissions"
    event: ClassVar[str] = "coordinator_alerted"
    target: CoordinatorsTarget = CoordinatorsTarget()
    problems: tuple[str, ...]

    @property
    def key(self) -> str:
        return "setup:missing_permissions:" + ",".join(sorted(self.problems))

    @property
    def alerts_on_failure(self) -> bool:
        return False  # it is itself the alert

    async def render(self, context: RenderContext) -> Draft | None:
        lines = "\n".join(f"- {problem}" for problem in self.problems)
        return Draft(
            content=(
                "The bot is missing permissions it needs. A server admin can grant them to "
                f"the bot's role:\n{lines}"
            )[:MESSAGE_LIMIT]
        )


class DeliveryFailed(Post):
    """Discord keeps refusing a post or action; said once, with what was refused: in the
    case of the partnership or person it was for, or plainly in the coordinators' channel
    when it was for nobody in particular or was itself part of a case."""

    kind: Literal["delivery_failed"] = "delivery_failed"
    event: ClassVar[str] = "coordinator_alerted"
    target: CaseTarget | CoordinatorsTarget = CoordinatorsTarget()
    failed_key: str
    failed_kind: str
    error: str

    @property
    def key(self) -> str:
        return f"failed:{self.failed_key}"

    @property
    def alerts_on_failure(self) -> bool:
        return False

    async def render(self, context: RenderContext) -> Draft | None:
        space = ""
        if self.partnership_id is not None:
            partnership = await context.reads.partnership(self.partnership_id)
            if partnership is not None:
                space = f" for **{partnership.name}**"
        text = (
            f"Discord refused the bot's {self.failed_kind.replace('_', ' ')}{space}, "
            f"and trying again will not help: {self.error}\n"
            "Please check the bot's permissions and the server's limits."
        )[:MESSAGE_LIMIT]
        return await for_case(context, self.target, Draft(content=text))


def delivery_failed(failed_key: str, work: Work, error: str, now: datetime) -> list[Scheduled]:
    """What tells the coordinators that Discord keeps refusing ``work``."""
    subject = failure_subject(work)
    report = DeliveryFailed(
        partnership_id=work.partnership_id,
        target=CaseTarget(subject=subject) if subject else CoordinatorsTarget(),
        failed_key=failed_key,
        failed_kind=work.kind,
        error=error,
    )
    if subject is None:
        return [Scheduled(report, now)]
    summary = f"Discord refused the bot's {work.kind.replace('_', ' ')}"
    return on_case(report, subject, "delivery_failed", summary, now)
