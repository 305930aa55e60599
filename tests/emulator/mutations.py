"""Does the end-to-end layer catch what Discord would refuse? A mutation check.

Each mutant is one small breakage of the bot that real Discord would punish (a refused
request, a ping nobody asked for, a duplicate after a lost answer). The script copies the
project to a scratch folder, applies one mutant at a time and runs the end-to-end tests
that should catch it; a mutant the tests let through is a hole in the emulator or in the
tests. The same tests are first run unmutated, so a "caught" is never a test that was
failing anyway. Run from the project folder::

    python -m tests.emulator.mutations            # every mutant
    python -m tests.emulator.mutations pacer      # some of them, by name

It prints one line per mutant and then ``mutants=N caught=C``, and exits 1 when a mutant
survives. It takes a few minutes, so it is not part of the test command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.emulator.spec import SPEC_ENV, default_spec_path

ROOT = Path(__file__).resolve().parents[2]
ADAPTER = "bot/discord_adapter.py"
RULES = "tests/e2e/test_discord_rules.py"
FAULTS = "tests/e2e/test_faults.py"


@dataclass(frozen=True)
class Mutant:
    name: str
    discord_would: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


MUTANTS = (
    Mutant(
        "manage-permissions",
        "refuse a channel whose overwrites grant Manage Permissions (50013)",
        ADAPTER,
        "                pin_messages=True,\n            ),\n        }",
        "                pin_messages=True,\n                manage_permissions=True,\n"
        "            ),\n        }",
        (f"{FAULTS}::test_categories_and_spaces_answered_with_a_500_exist_once",),
    ),
    Mutant(
        "mention-everyone-named",
        "notify every member a post names, not only those it means to ping",
        ADAPTER,
        "users=[discord.Object(i) for i in draft.mention_ids],",
        "users=True,",
        ("tests/e2e/test_desks.py::test_desks_are_featured_by_consent_and_nobody_twice",),
    ),
    Mutant(
        "pacer",
        "answer a burst above 50 requests a second with a global 429",
        "bot/pacing.py",
        "    async def slot(self) -> None:\n",
        "    async def slot(self) -> None:\n        return\n",
        (f"{RULES}::test_a_topic_fanned_out_to_many_spaces_meets_no_429",),
    ),
    Mutant(
        "forum-without-tag",
        "refuse a post without applied_tags in a forum that requires one (40067)",
        ADAPTER,
        "        if not forum.flags.require_tag:\n            return []\n",
        "        return []\n",
        (f"{FAULTS}::test_a_forum_that_requires_a_tag_gets_one_on_each_topic_post",),
    ),
    Mutant(
        "embed-too-long",
        "refuse an embed description over 4,096 characters (50035)",
        "bot/services/topics.py",
        "BODY_BUDGET = 3600",
        "BODY_BUDGET = 6001",
        (f"{RULES}::test_a_topic_as_long_as_the_door_allows_goes_out_whole",),
    ),
    Mutant(
        "answer-twice",
        "refuse a second response to one interaction (40060; discord.py refuses it first)",
        "cogs/_shared.py",
        "    if interaction.response.is_done():\n",
        "    if False:\n",
        ("tests/e2e/test_round.py::test_a_whole_round",),
    ),
    Mutant(
        "archive-duration",
        "refuse an auto_archive_duration other than 60, 1440, 4320 or 10080 (50035)",
        ADAPTER,
        "WEEK_MINUTES: Final = 10080",
        "WEEK_MINUTES: Final = 10000",
        (f"{RULES}::test_private_threads_are_their_pairs_alone",),
    ),
    Mutant(
        "thread-without-members",
        "keep a private thread hidden from partners nobody added to it",
        ADAPTER,
        "            await self._call(functools.partial(thread.add_user, member))\n"
        "        return thread.id\n\n    def _private_overwrites(",
        "        return thread.id\n\n    def _private_overwrites(",
        (f"{RULES}::test_private_threads_are_their_pairs_alone",),
    ),
    Mutant(
        "creation-unguarded",
        "make a second channel when a create answered with a 500 is sent again",
        ADAPTER,
        "token = _CREATING.set(True)",
        "token = _CREATING.set(False)",
        (f"{FAULTS}::test_categories_and_spaces_answered_with_a_500_exist_once",),
    ),
    Mutant(
        "no-nonce",
        "post a message twice when a restarted bot sends again what it sent before dying",
        ADAPTER,
        "                nonce=nonce,\n",
        "                nonce=None,\n",
        ("tests/e2e/test_restart.py::test_a_resend_after_a_lost_answer_is_dropped_by_the_nonce",),
    ),
    Mutant(
        "no-look-before-resend",
        "take a post again after a day-long outage, its nonce long forgotten",
        "bot/services/outbox.py",
        "found = await self._find(target, draft, tried_at)",
        "found = None",
        (
            "tests/e2e/test_restart.py::"
            "test_a_post_discord_took_before_a_day_long_outage_is_found_not_sent_again",
        ),
    ),
)


def main(names: list[str]) -> int:
    chosen = [m for m in MUTANTS if not names or m.name in names]
    unknown = set(names) - {m.name for m in MUTANTS}
    if unknown:
        print(f"no mutant called {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="iln-mutants-") as scratch:
        copy = copy_project(Path(scratch) / "project")
        _check_imports_from(copy)
        every_test = sorted({test for mutant in chosen for test in mutant.tests})
        if _pytest(copy, every_test) != 0:
            print("the mutants' tests fail without any mutant: fix them first", file=sys.stderr)
            return 2
        caught = sum(_try(copy, mutant) for mutant in chosen)
    print(f"mutants={len(chosen)} caught={caught}")
    return 0 if caught == len(chosen) else 1


def _try(copy: Path, mutant: Mutant) -> bool:
    target = copy / mutant.path
    original = target.read_text(encoding="utf-8")
    if original.count(mutant.old) != 1:
        raise SystemExit(f"mutant {mutant.name}: its code is gone from {mutant.path}; update it")
    target.write_text(original.replace(mutant.old, mutant.new), encoding="utf-8")
    try:
        status = _pytest(copy, list(mutant.tests))
    finally:
        target.write_text(original, encoding="utf-8")
    if status not in (0, 1):
        raise SystemExit(f"mutant {mutant.name}: pytest could not run (exit {status})")
    verdict = "caught  " if status == 1 else "SURVIVED"
    print(f"{verdict} {mutant.name}: Discord would {mutant.discord_would}", flush=True)
    return status == 1


def copy_project(destination: Path) -> Path:
    """The project's files as git sees them (committed or not, minus what it ignores)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    for name in listed:
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def _check_imports_from(copy: Path) -> None:
    """The copy's code is what runs, not an installed one (an editable install's finder
    comes after PYTHONPATH, a regular install's package would not)."""
    where = subprocess.run(
        [sys.executable, "-c", "import bot, cogs; print(bot.__file__, cogs.__file__)"],
        cwd=copy,
        env=_env(copy),
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    if not all(Path(path).is_relative_to(copy) for path in where):
        raise SystemExit(f"the mutated copy is not what Python imports: {where}")


def _env(copy: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(copy), SPEC_ENV: str(default_spec_path())}


def _pytest(copy: Path, tests: list[str]) -> int:
    env = _env(copy)
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--tb=no"]
    done = subprocess.run([*command, *tests], cwd=copy, env=env, capture_output=True)
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
