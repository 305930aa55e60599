"""pytest plugin: ``emulator`` / ``driver`` / ``emulator_factory`` fixtures + spec notice.

Load with ``pytest_plugins = ["tests.emulator.plugin"]`` (tests/conftest.py).

* The OpenAPI spec is loaded and indexed once per session (first use).
* If the spec file is missing, validation is skipped and a notice is printed in
  the report header and the terminal summary; with ``CI=true`` that is an error
  at session start instead.
* Every emulator the fixtures make enforces Discord's rate limits
  (``RateLimits.for_tests()``); a test turns them off only with
  ``RateLimits.off(reason=...)``.
* At teardown a test fails if the emulator recorded requests or answers that break the
  spec, or requests to unknown routes (call ``emulator.take_violations()`` /
  ``take_response_violations()`` / ``take_unknown_routes()`` in tests that provoke them).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio

from .ratelimit import RateLimits
from .server import DiscordEmulator
from .spec import SPEC_ENV, SPEC_SOURCE, default_spec_path, load_spec

_MISSING_NOTICE = (
    "Discord OpenAPI spec not found at {path}: request-body validation against the spec "
    "is SKIPPED. The file is specs/openapi.json from "
    + SPEC_SOURCE
    + "; point ${env} at it to enable validation."
)


def _ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def _spec_missing_message() -> str | None:
    path = default_spec_path()
    if path.is_file():
        return None
    return _MISSING_NOTICE.format(path=path, env=SPEC_ENV)


def pytest_configure(config: pytest.Config) -> None:
    message = _spec_missing_message()
    if message is not None and _ci():
        raise pytest.UsageError("CI=true and " + message)


def pytest_report_header(config: pytest.Config) -> list[str]:
    message = _spec_missing_message()
    if message is None:
        return [f"discord emulator: validating requests against {default_spec_path()}"]
    return [f"WARNING: {message}"]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    message = _spec_missing_message()
    if message is not None:
        terminalreporter.write_sep(
            "=", "discord emulator: spec validation skipped", yellow=True, bold=True
        )
        terminalreporter.write_line(message, yellow=True)


def _problems(emu: DiscordEmulator) -> list[str]:
    lines = [f"spec violation: {v}" for v in emu.violations]
    lines += [f"emulator answer breaks the spec: {v}" for v in emu.response_violations]
    lines += [f"request to unknown route: {e.method} {e.path}" for e in emu.unknown_routes]
    lines += [f"emulator internal error: {e}" for e in emu.internal_errors]
    return lines


EmulatorFactory = Callable[..., Awaitable[DiscordEmulator]]


@pytest_asyncio.fixture
async def emulator_factory() -> AsyncIterator[EmulatorFactory]:
    """``await emulator_factory(**DiscordEmulator kwargs)`` -> a started emulator.

    All emulators made are stopped and checked for violations at teardown.
    """
    made: list[DiscordEmulator] = []
    spec = load_spec()

    async def make(**kwargs: Any) -> DiscordEmulator:
        kwargs.setdefault("spec", spec)
        kwargs.setdefault("heartbeat_interval", 5.0)
        # Discord's limits are on for every test (windows scaled, see RateLimits.for_tests);
        # a test turns them off only with RateLimits.off(reason=...).
        kwargs.setdefault("rate_limits", RateLimits.for_tests())
        emu = DiscordEmulator(**kwargs)
        await emu.start()
        made.append(emu)
        return emu

    yield make
    problems: list[str] = []
    for emu in made:
        await emu.stop()
        problems += _problems(emu)
    if problems:
        pytest.fail("Discord emulator found problems:\n  " + "\n  ".join(problems), pytrace=False)


@pytest_asyncio.fixture
async def emulator(emulator_factory: EmulatorFactory) -> DiscordEmulator:
    """A started emulator with one seeded guild (@everyone, bot member + role)."""
    return await emulator_factory()


@pytest.fixture
def driver(emulator: DiscordEmulator) -> Any:
    return emulator.driver
