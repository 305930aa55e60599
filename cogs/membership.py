"""Partners leaving the server."""

from __future__ import annotations

import discord
from discord.ext import commands

from bot.client import ILNBot


class Membership(commands.Cog):
    def __init__(self, bot: ILNBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        """A partner left the server: mark their partnership and tell the coordinators."""
        if payload.guild_id == self.bot.guild_object.id:
            await self.bot.program.departures.member_left(payload.user.id)
            await self.bot.program.run_due()


async def setup(bot: ILNBot) -> None:
    await bot.add_cog(Membership(bot))
