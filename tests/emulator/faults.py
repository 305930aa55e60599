"""Fault injection for REST: forced error responses and artificial latency.

Gateway faults (drop, op 7, op 9) live on the emulator itself
(:meth:`DiscordEmulator.drop_gateway` etc.) because they act on live sockets.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field


@dataclass
class _Failure:
    method: str
    pattern: str
    status: int
    remaining: int
    retry_after: float
    code: int
    is_global: bool


@dataclass
class _Delay:
    method: str
    pattern: str
    seconds: float


def _matches(pattern: str, method: str, want_method: str, template: str, path: str) -> bool:
    if want_method not in ("*", method):
        return False
    if pattern in (template, path):
        return True
    return fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(template, pattern)


@dataclass
class Faults:
    """Configured faults; consulted by the REST layer for every request.

    ``route`` arguments match either the spec route template
    (``/channels/{channel_id}/messages``), the concrete path, or an fnmatch glob
    of either (``/channels/*/messages``). Paths are relative to ``/api/v10``.
    """

    _failures: list[_Failure] = field(default_factory=list)
    _after_apply: list[_Failure] = field(default_factory=list)
    _delays: list[_Delay] = field(default_factory=list)
    injected: int = 0

    def fail_next(
        self,
        method: str,
        route: str,
        status: int = 500,
        count: int = 1,
        retry_after: float = 0.05,
        code: int = 0,
        is_global: bool = False,
    ) -> None:
        """Make the next ``count`` matching requests fail with ``status``.

        429 responses are shaped like Discord's (JSON retry_after, ``Via`` and
        ``Retry-After`` headers) so discord.py retries them.
        """
        self._failures.append(
            _Failure(method.upper(), route, status, count, retry_after, code, is_global)
        )

    def fail_after_apply(
        self, method: str, route: str, status: int = 500, count: int = 1, code: int = 0
    ) -> None:
        """Discord applied the request but answered with ``status`` (a 5xx, usually).

        The next ``count`` matching requests that succeed are carried out (the message is
        posted, the channel created, the event emitted) and only then answered with the
        error. discord.py retries 500, 502, 504 and 524 after sleeping 1 s, so the retry
        creates a second copy unless the bot looks before it creates again. Requests the
        emulator refuses (4xx) are answered as usual and do not use up the fault. The
        transcript entry keeps what was applied in ``entry.applied``.
        """
        if status < 500:
            raise ValueError("fail_after_apply models a server error: use a 5xx status")
        self._after_apply.append(_Failure(method.upper(), route, status, count, 0.0, code, False))

    def take_after_apply(self, method: str, template: str, path: str) -> _Failure | None:
        for f in self._after_apply:
            if f.remaining > 0 and _matches(f.pattern, method, f.method, template, path):
                f.remaining -= 1
                self.injected += 1
                if f.remaining == 0:
                    self._after_apply.remove(f)
                return f
        return None

    def delay(self, route: str, seconds: float, method: str = "*") -> None:
        """Delay every matching response by ``seconds`` (until ``clear()``)."""
        self._delays.append(_Delay(method.upper(), route, seconds))

    def clear(self) -> None:
        self._failures.clear()
        self._after_apply.clear()
        self._delays.clear()

    def take_failure(self, method: str, template: str, path: str) -> _Failure | None:
        for f in self._failures:
            if f.remaining > 0 and _matches(f.pattern, method, f.method, template, path):
                f.remaining -= 1
                self.injected += 1
                if f.remaining == 0:
                    self._failures.remove(f)
                return f
        return None

    def delay_for(self, method: str, template: str, path: str) -> float:
        return sum(
            d.seconds for d in self._delays if _matches(d.pattern, method, d.method, template, path)
        )
