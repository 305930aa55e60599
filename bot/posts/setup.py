"""What the bot tells coordinators about itself: missing permissions, work Discord refuses."""

from __future__ import annotations

from typing import ClassVar, Literal

from bot.posts.base import CoordinatorsTarget, Post, RenderContext
from bot.services.ports import Draft

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
    """Discord keeps refusing a post or action; said once, with what was refused."""

    kind: Literal["delivery_failed"] = "delivery_failed"
    event: ClassVar[str] = "coordinator_alerted"
    target: CoordinatorsTarget = CoordinatorsTarget()
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
        return Draft(
            content=(
                f"Discord refused the bot's {self.failed_kind.replace('_', ' ')}{space}, "
                f"and trying again will not help: {self.error}\n"
                "Please check the bot's permissions and the server's limits."
            )[:MESSAGE_LIMIT]
        )
