"""#welcometomydesk: the bot answers each new post in the desk forum, and its author may
press "Feature my desk" and write a caption."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord.ext import commands

from bot.client import ILNBot
from bot.domain.wording import every
from bot.posts.desks import FeatureDeskButton
from bot.services.desks import CAPTION_LIMIT
from bot.services.ports import DiscordError
from bot.ui import PersistentButton, persistent
from cogs._shared import PoliteModal, answer, field_value, polite, program_of, text_field

log = logging.getLogger(__name__)


class DeskCog(commands.Cog):
    """Listens for new posts in the desk forum (thread creation needs only the guilds
    intent; the bot never reads what a post says)."""

    def __init__(self, bot: ILNBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_thread_create(self, thread: discord.Thread) -> None:
        program = self.bot.program
        try:
            forum = await program.port.desk_forum()
        except DiscordError:
            return  # not set up yet: the start-up catch-up finds the post
        me = self.bot.user
        if thread.parent_id != forum or thread.owner_id is None:
            return
        if me is not None and thread.owner_id == me.id:
            return
        at = thread.created_at or discord.utils.snowflake_time(thread.id)
        if await program.desks.posted(thread.id, thread.owner_id, at):
            await program.run_due()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Answer desk posts made while the bot was away."""
        await self.bot.caught_up.wait()  # the server is set up first (see ILNBot.on_ready)
        if await self.bot.program.desks.catch_up():
            await self.bot.program.run_due()


@persistent(FeatureDeskButton)
class FeatureDeskItem(
    PersistentButton[FeatureDeskButton], template=r"iln:desk:feature:(?P<thread>\d+)"
):
    @classmethod
    def button(cls, spec: FeatureDeskButton) -> discord.ui.Button[Any]:
        return discord.ui.Button(
            label="Feature my desk",
            style=discord.ButtonStyle.primary,
            custom_id=f"iln:desk:feature:{spec.thread_id}",
        )

    @classmethod
    def parse(cls, match: Any) -> FeatureDeskButton:
        return FeatureDeskButton(int(match["thread"]))

    @polite
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        desk = await program_of(interaction).desks.authored(
            self.spec.thread_id, interaction.user.id
        )
        await interaction.response.send_modal(CaptionModal(desk.thread_id, desk.caption))


class CaptionModal(PoliteModal, title="Feature my desk"):
    def __init__(self, thread_id: int, caption: str | None) -> None:
        super().__init__(timeout=900)
        self.thread_id = thread_id
        self.caption = text_field(
            "Your caption (shown with a link to your post)",
            "caption",
            caption,
            style=discord.TextStyle.paragraph,
            min_length=1,
            max_length=CAPTION_LIMIT,
        )
        self.add_item(self.caption)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        program = program_of(interaction)
        await program.desks.consent(self.thread_id, interaction.user.id, field_value(self.caption))
        rhythm = every(program.config.desks.feature_every_days)
        await answer(
            interaction,
            f"Thank you! Your desk can now be featured: {rhythm} one desk appears in "
            "the announcements channel with a link to its post and its caption, and nobody "
            "twice. Press the button again to change your caption.",
        )


DYNAMIC_ITEMS = (FeatureDeskItem,)


async def setup(bot: ILNBot) -> None:
    await bot.add_cog(DeskCog(bot), guild=bot.guild_object)
    bot.add_dynamic_items(*DYNAMIC_ITEMS)


async def teardown(bot: ILNBot) -> None:
    bot.remove_dynamic_items(*DYNAMIC_ITEMS)
