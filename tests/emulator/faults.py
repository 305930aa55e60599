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

    def delay(self, route: str, seconds: float, method: str = "*") -> None:
        """Delay every matching response by ``seconds`` (until ``clear()``)."""
        self._delays.append(_Delay(method.upper(), route, seconds))

    def clear(self) -> None:
        self._failures.clear()
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
