"""Rate-limit buckets, headers and (optional) enforcement.

Every response carries ``X-RateLimit-*`` headers computed from a sliding
fixed window per bucket. Whether exceeding a bucket returns 429 is decided by
the profile's ``enforce`` flag: the default profile (``RateLimits.off()``) only
reports headers - with roomy limits so discord.py never pre-emptively sleeps -
while ``RateLimits.discord()`` enforces numbers close to Discord's published/
observed limits.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rule:
    """``limit`` requests per ``per`` seconds for routes matching method+template.

    ``major`` names the path parameter that partitions the bucket (Discord's
    "major parameters": channel_id, guild_id, webhook_id).
    """

    name: str
    method: str  # "*" for any
    template_prefix: str
    limit: int
    per: float
    major: str | None = None

    def matches(self, method: str, template: str) -> bool:
        return (self.method in ("*", method)) and template.startswith(self.template_prefix)


@dataclass
class RateLimits:
    """A rate-limit profile. ``rules`` are checked in order; first match wins."""

    enforce: bool = False
    global_per_second: int = 50
    default_limit: int = 50
    default_per: float = 1.0
    rules: list[Rule] = field(default_factory=list)

    @classmethod
    def off(cls) -> RateLimits:
        """Headers only, generous numbers (the fixture default: fast tests)."""
        return cls(enforce=False, global_per_second=10_000, default_limit=10_000, default_per=1.0)

    @classmethod
    def discord(cls) -> RateLimits:
        """Enforced limits modelled on Discord's (documented in README).

        * global: 50 requests/s per bot (documented by Discord)
        * POST /channels/{id}/messages: 5 per 5 s per channel (observed bucket)
        * POST /guilds/{id}/channels: 10 per 10 s per guild (channel creation is
          throttled harder than messages; Discord does not publish the number)
        * PATCH /channels/{id}: Discord allows 2 name/topic edits per 10 min per
          channel; we use 2 per 10 s so tests can observe it without waiting
        * member role add/remove: 10 per 10 s per guild
        * webhooks / interaction follow-ups: 5 per 2 s per webhook (observed)
        * interaction callbacks are exempt from the global limit, as on Discord
        """
        return cls(
            enforce=True,
            global_per_second=50,
            default_limit=50,
            default_per=1.0,
            rules=[
                Rule(
                    "message-create",
                    "POST",
                    "/channels/{channel_id}/messages",
                    5,
                    5.0,
                    "channel_id",
                ),
                Rule("channel-create", "POST", "/guilds/{guild_id}/channels", 10, 10.0, "guild_id"),
                Rule("channel-edit", "PATCH", "/channels/{channel_id}", 2, 10.0, "channel_id"),
                Rule(
                    "member-roles",
                    "*",
                    "/guilds/{guild_id}/members/{user_id}/roles",
                    10,
                    10.0,
                    "guild_id",
                ),
                Rule("interaction", "*", "/interactions/", 1000, 1.0, None),
                Rule("webhook", "*", "/webhooks/", 5, 2.0, "webhook_id"),
            ],
        )


@dataclass
class _Window:
    started: float
    count: int = 0


@dataclass
class Decision:
    headers: dict[str, str]
    limited: bool = False
    retry_after: float = 0.0
    is_global: bool = False


class RateLimiter:
    """Applies a :class:`RateLimits` profile to incoming requests."""

    def __init__(self, profile: RateLimits) -> None:
        self.profile = profile
        self._windows: dict[str, _Window] = {}
        self._global = _Window(time.monotonic())
        self.limited_count = 0

    def _rule(self, method: str, template: str) -> Rule:
        for rule in self.profile.rules:
            if rule.matches(method, template):
                return rule
        return Rule("default", "*", "", self.profile.default_limit, self.profile.default_per)

    def check(self, method: str, template: str, params: dict[str, str]) -> Decision:
        now = time.monotonic()
        rule = self._rule(method, template)
        bucket_hash = hashlib.sha1(f"{rule.name}:{method}:{template}".encode()).hexdigest()[:16]
        major = params.get(rule.major, "") if rule.major else ""
        key = f"{bucket_hash}:{major}"
        window = self._windows.get(key)
        if window is None or now - window.started >= rule.per:
            window = self._windows[key] = _Window(now)
        # global window (interaction callbacks are exempt, as on Discord)
        if now - self._global.started >= 1.0:
            self._global = _Window(now)
        exempt = template.startswith("/interactions/")
        reset_after = max(rule.per - (now - window.started), 0.001)
        limited = False
        is_global = False
        retry_after = 0.0
        if self.profile.enforce:
            if not exempt and self._global.count >= self.profile.global_per_second:
                limited, is_global = True, True
                retry_after = max(1.0 - (now - self._global.started), 0.001)
            elif window.count >= rule.limit:
                limited = True
                retry_after = reset_after
        if not limited:
            window.count += 1
            if not exempt:
                self._global.count += 1
        remaining = max(rule.limit - window.count, 0)
        headers = {
            "X-RateLimit-Limit": str(rule.limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket_hash,
        }
        if limited:
            self.limited_count += 1
            headers["X-RateLimit-Scope"] = "global" if is_global else "user"
            if is_global:
                headers["X-RateLimit-Global"] = "true"
        return Decision(headers, limited, round(retry_after, 3), is_global)
