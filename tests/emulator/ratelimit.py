"""Rate limits as Discord applies them: per-route buckets, the global limit, the ban.

Discord's Rate Limits page (discord-api-docs ``developers/topics/rate-limits.mdx``) is the
source of the behaviour modelled here:

* **Per-route buckets**, partitioned by the route's top-level resource ("major parameter":
  ``channel_id``, ``guild_id``, or ``webhook_id`` + ``webhook_token``), shared across a set of
  similar routes where Discord shares them; each response carries ``X-RateLimit-Limit``,
  ``-Remaining``, ``-Reset``, ``-Reset-After`` and ``-Bucket`` (a hash that does not include
  the major parameter).
* **The global limit**: 50 requests per second per bot; interaction endpoints (callbacks,
  and the interaction webhooks for follow-ups and the original response) are exempt.
* **429 bodies**: ``{"message", "retry_after", "global"}`` (plus ``code``, which the spec's
  schema requires), ``Retry-After``, ``X-RateLimit-Scope`` (``user``, ``global``, ``shared``)
  and ``X-RateLimit-Global`` on global limits.
* **The invalid-request limit**: 10,000 responses of 401, 403 or 429 (429s with scope
  ``shared`` excluded) within 10 minutes get the client temporarily banned (Cloudflare
  answers every request with a 429 HTML page).

Which per-route figures are Discord's own is listed in README.md ("Rate limits"): Discord
publishes none of them; some are widely observed, the rest are our choice.

Time: windows run on the real monotonic clock (discord.py sleeps in real time). ``time_scale``
shortens every per-route window by that factor, so a test suite keeps Discord's counts and
buckets without waiting Discord's seconds; the global limit and the invalid-request window
are never scaled.
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: What the fixtures use: Discord's counts, per-route windows 50 times shorter (5 s -> 0.1 s).
FIXTURE_TIME_SCALE = 0.02

#: Routes not bound to the global limit (Receiving and Responding: "Endpoints").
GLOBAL_EXEMPT_PREFIXES = ("/interactions/", "/webhooks/")


@dataclass(frozen=True)
class Rule:
    """``limit`` requests per ``per`` seconds for the routes matching ``method`` and
    ``template_prefix`` (with ``exact=True``: exactly that template).

    Rules with the same ``name`` share one bucket (counted together, one
    ``X-RateLimit-Bucket``). ``major`` names the path parameter(s) that partition the bucket:
    ``"channel_id"``, ``"guild_id"`` or ``"webhook_id+webhook_token"``. ``when`` (on the
    request body) makes a sub-limit that applies only to some requests, such as renames.
    ``source`` says where the figure comes from ("documented", "observed" or "chosen").
    """

    name: str
    method: str  # "*" for any
    template_prefix: str
    limit: int
    per: float
    major: str | None = None
    exact: bool = False
    when: Callable[[Any], bool] | None = None
    source: str = "chosen"

    def matches(self, method: str, template: str) -> bool:
        if self.method not in ("*", method):
            return False
        if self.exact:
            return template == self.template_prefix
        return template.startswith(self.template_prefix)


def _renames(body: Any) -> bool:
    return isinstance(body, dict) and ("name" in body or "topic" in body)


C = "/channels/{channel_id}"
G = "/guilds/{guild_id}"
W = "/webhooks/{webhook_id}/{webhook_token}"
MSG = f"{C}/messages/{{message_id}}"


def discord_rules() -> list[Rule]:
    """The per-route buckets of the routes a partnership bot uses (first match wins)."""
    ch, gd, wh = "channel_id", "guild_id", "webhook_id+webhook_token"
    return [
        # observed: 5 messages per 5 s per channel is what Discord answers bots
        Rule("message-create", "POST", f"{C}/messages", 5, 5.0, ch, exact=True, source="observed"),
        Rule("message-edit", "PATCH", MSG, 5, 5.0, ch, exact=True, source="observed"),
        Rule("message-delete", "DELETE", MSG, 5, 1.0, ch, exact=True),
        Rule("pins", "PUT", f"{C}/messages/pins/{{message_id}}", 5, 5.0, ch, exact=True),
        Rule("pins", "DELETE", f"{C}/messages/pins/{{message_id}}", 5, 5.0, ch, exact=True),
        Rule("pins", "PUT", f"{C}/pins/{{message_id}}", 5, 5.0, ch, exact=True),
        Rule("pins", "DELETE", f"{C}/pins/{{message_id}}", 5, 5.0, ch, exact=True),
        Rule("threads-create", "POST", f"{C}/threads", 5, 5.0, ch, exact=True),
        Rule("threads-create", "POST", f"{MSG}/threads", 5, 5.0, ch, exact=True),
        Rule("thread-members", "PUT", f"{C}/thread-members/", 10, 10.0, ch),
        Rule("thread-members", "DELETE", f"{C}/thread-members/", 10, 10.0, ch),
        Rule("overwrites", "*", f"{C}/permissions/", 5, 5.0, ch),
        # observed: a channel's name or topic can be changed twice per 10 minutes
        Rule(
            "channel-rename", "PATCH", C, 2, 600.0, ch, exact=True, when=_renames, source="observed"
        ),
        Rule("channel-edit", "PATCH", C, 5, 5.0, ch, exact=True),
        Rule("channel-delete", "DELETE", C, 5, 5.0, ch, exact=True),
        Rule("channel-create", "POST", f"{G}/channels", 10, 10.0, gd, exact=True),
        Rule("member-roles", "*", f"{G}/members/{{user_id}}/roles/", 10, 10.0, gd),
        Rule("member-edit", "PATCH", f"{G}/members/{{user_id}}", 10, 10.0, gd, exact=True),
        Rule("roles-write", "POST", f"{G}/roles", 10, 10.0, gd, exact=True),
        Rule("roles-write", "PATCH", f"{G}/roles/", 10, 10.0, gd),
        Rule("roles-write", "DELETE", f"{G}/roles/", 10, 10.0, gd),
        Rule("scheduled-events", "POST", f"{G}/scheduled-events", 10, 10.0, gd, exact=True),
        Rule("scheduled-events", "PATCH", f"{G}/scheduled-events/", 10, 10.0, gd),
        Rule("scheduled-events", "DELETE", f"{G}/scheduled-events/", 10, 10.0, gd),
        Rule("dm-open", "POST", "/users/@me/channels", 10, 10.0, exact=True),
        Rule(
            "interaction-callback",
            "POST",
            "/interactions/{interaction_id}/{interaction_token}/callback",
            10,
            1.0,
            "interaction_id+interaction_token",
            exact=True,
        ),
        # observed: 5 requests per 2 s per webhook (interaction follow-ups are webhooks)
        Rule("webhook", "*", W, 5, 2.0, wh, source="observed"),
    ]


@dataclass
class RateLimits:
    """A rate-limit profile. ``rules`` are checked in order; the first match wins.

    Routes no rule names get a bucket of their own of ``default_limit`` per
    ``default_per`` seconds. Build profiles with :meth:`discord` or, for a test that has a
    reason to do without limits, :meth:`off`.
    """

    enforce: bool = True
    global_per_second: int = 50
    default_limit: int = 50
    default_per: float = 1.0
    rules: list[Rule] = field(default_factory=list)
    time_scale: float = 1.0
    invalid_limit: int = 10_000
    invalid_window: float = 600.0
    #: how long the invalid-request ban lasts: Discord says "temporarily"; 1 hour is ours
    ban_seconds: float = 3600.0
    #: why limits are off (required when ``enforce`` is False)
    off_reason: str | None = None

    @classmethod
    def off(cls, *, reason: str) -> RateLimits:
        """No 429s at all (headers only, with roomy numbers so discord.py never waits).

        ``reason`` is required: a test that turns Discord's limits off says why.
        """
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError("RateLimits.off() needs a reason: why may this test ignore limits?")
        return cls(
            enforce=False,
            global_per_second=10_000,
            default_limit=10_000,
            default_per=1.0,
            off_reason=reason.strip(),
        )

    @classmethod
    def discord(
        cls,
        *,
        time_scale: float = 1.0,
        invalid_limit: int = 10_000,
        invalid_window: float = 600.0,
        ban_seconds: float = 3600.0,
        global_per_second: int = 50,
    ) -> RateLimits:
        """Discord's limits, enforced (see the module docstring and README.md)."""
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        return cls(
            enforce=True,
            global_per_second=global_per_second,
            default_limit=50,
            default_per=1.0,
            rules=discord_rules(),
            time_scale=time_scale,
            invalid_limit=invalid_limit,
            invalid_window=invalid_window,
            ban_seconds=ban_seconds,
        )

    @classmethod
    def for_tests(cls) -> RateLimits:
        """What every fixture-made emulator gets: Discord's limits, windows scaled."""
        return cls.discord(time_scale=FIXTURE_TIME_SCALE)


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
    scope: str | None = None


class RateLimiter:
    """Applies a :class:`RateLimits` profile to incoming requests."""

    def __init__(self, profile: RateLimits) -> None:
        if not profile.enforce and not (profile.off_reason or "").strip():
            raise ValueError(
                "rate limits may only be turned off with a reason: RateLimits.off(reason=...)"
            )
        self.profile = profile
        self._windows: dict[str, _Window] = {}
        self._global = _Window(time.monotonic())
        self._invalid: deque[float] = deque()
        self.banned_until = 0.0
        #: 429s decided here (not injected faults), by scope
        self.limited_count = 0
        #: invalid-request bans started
        self.bans = 0

    def _rules(self, method: str, template: str, body: Any) -> list[Rule]:
        """The sub-limits that apply (``when`` rules) and then the route's own bucket."""
        found: list[Rule] = []
        for rule in self.profile.rules:
            if not rule.matches(method, template):
                continue
            if rule.when is not None:
                if rule.when(body):
                    found.append(rule)
                continue
            found.append(rule)
            return found
        found.append(
            Rule(
                f"route:{method}:{template}",
                method,
                template,
                self.profile.default_limit,
                self.profile.default_per,
                _default_major(template),
                exact=True,
            )
        )
        return found

    def check(
        self, method: str, template: str, params: dict[str, str], body: Any = None
    ) -> Decision:
        now = time.monotonic()
        scale = self.profile.time_scale
        rules = self._rules(method, template, body)
        if now - self._global.started >= 1.0:
            self._global = _Window(now)
        exempt = template.startswith(GLOBAL_EXEMPT_PREFIXES)
        windows: list[tuple[Rule, _Window, float]] = []
        for rule in rules:
            per = rule.per * scale
            key = f"{_bucket_hash(rule.name)}:{_major_value(rule.major, params)}"
            window = self._windows.get(key)
            if window is None or now - window.started >= per:
                window = self._windows[key] = _Window(now)
            windows.append((rule, window, per))
        limited, is_global, retry_after = False, False, 0.0
        if self.profile.enforce:
            if not exempt and self._global.count >= self.profile.global_per_second:
                limited, is_global = True, True
                retry_after = max(1.0 - (now - self._global.started), 0.001)
            else:
                for rule, window, per in windows:
                    if window.count >= rule.limit:
                        limited = True
                        retry_after = max(per - (now - window.started), 0.001)
                        break
        if not limited:
            for _, window, _ in windows:
                window.count += 1
            if not exempt:
                self._global.count += 1
        # The headers describe the route's own bucket (the last rule).
        rule, window, per = windows[-1]
        reset_after = max(per - (now - window.started), 0.001)
        headers = {
            "X-RateLimit-Limit": str(rule.limit),
            "X-RateLimit-Remaining": str(max(rule.limit - window.count, 0)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": _bucket_hash(rule.name),
        }
        scope = None
        if limited:
            self.limited_count += 1
            scope = "global" if is_global else "user"
        return Decision(headers, limited, round(retry_after, 3), is_global, scope)

    # ------------------------------------------------------------------ invalid requests
    def invalid_request(self) -> None:
        """Count a 401/403/429 answer; at the limit, ban the client for a while."""
        if not self.profile.enforce:
            return
        now = time.monotonic()
        self._invalid.append(now)
        while self._invalid and now - self._invalid[0] > self.profile.invalid_window:
            self._invalid.popleft()
        if len(self._invalid) >= self.profile.invalid_limit and not self.banned():
            self.banned_until = now + self.profile.ban_seconds
            self.bans += 1
            self._invalid.clear()

    def banned(self) -> bool:
        return time.monotonic() < self.banned_until

    @property
    def invalid_count(self) -> int:
        return len(self._invalid)


def _bucket_hash(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()[:16]


def _major_value(major: str | None, params: dict[str, str]) -> str:
    if not major:
        return ""
    return "+".join(params.get(name, "") for name in major.split("+"))


def _default_major(template: str) -> str | None:
    for name in ("channel_id", "guild_id"):
        if template.startswith(f"/{name.split('_')[0]}s/{{{name}}}"):
            return name
    if template.startswith("/webhooks/{webhook_id}/{webhook_token}"):
        return "webhook_id+webhook_token"
    if template.startswith("/webhooks/{webhook_id}"):
        return "webhook_id"
    return None
