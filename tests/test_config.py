from pathlib import Path

import pytest

from bot.config import ConfigError, load_config, read_token

EXAMPLE = Path(__file__).resolve().parents[1] / "config.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_is_valid_and_documents_the_defaults() -> None:
    config = load_config(EXAMPLE)
    assert config.discord.guild_id == 123456789012345678
    assert config.round.topic_every_days == 14
    assert config.round.end_reminder_days_before == 30
    assert config.round.checkin_every_days == 28
    assert config.nudges.quiet_after_days == 14
    assert config.database.path == EXAMPLE.parent / "iln.sqlite3"


def test_every_problem_is_reported_with_its_key_and_value(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[discord]\nguild_id = "abc"\nsurprise = 1\n'
        '[round]\npost_hour = 30\n[program]\ntimezone = "Mars/Olympus"\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    problems = caught.value.problems
    assert "discord.coordinator_role: is required" in problems
    assert any(p.startswith("discord.guild_id:") and "(got 'abc')" in p for p in problems)
    assert "discord.surprise: is not a known setting (got 1)" in problems
    assert any(p.startswith("round.post_hour:") and "(got 30)" in p for p in problems)
    assert any(p.startswith("program.timezone:") and "Mars/Olympus" in p for p in problems)


def test_not_toml_and_missing_file_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[discord\n"))
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "absent.toml")


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ILN_NUDGES__QUIET_AFTER_DAYS", "10")
    config = load_config(EXAMPLE)
    assert config.nudges.quiet_after_days == 10


def test_token_comes_from_environment_or_file_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    secret = tmp_path / "token"
    secret.write_text("file-token\n")
    base = '[discord]\nguild_id = 1\ncoordinator_role = "C"\n'
    assert read_token(load_config(write(tmp_path, base))) is None
    config = load_config(write(tmp_path, base + 'token_file = "token"\n'))
    token = read_token(config)
    assert token is not None and token.get_secret_value() == "file-token"
    assert "file-token" not in repr(token)
    monkeypatch.setenv("DISCORD_TOKEN", "env-token")
    token = read_token(config)
    assert token is not None and token.get_secret_value() == "env-token"


BASE = '[discord]\nguild_id = 1\ncoordinator_role = "C"\n'


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("[round]\nround_weeks = 3\n", "round.round_weeks: must be from 4 to 52 (got 3)"),
        (
            "[round]\nend_reminder_days_before = 200\n",
            "round.end_reminder_days_before: must be less than the round's length; "
            "allowed: 7 to 119 (got 200)",
        ),
        (
            "[round]\ncheckin_every_days = 400\n",
            "round.checkin_every_days: would put the first check-in in the round's last week "
            "or after it; allowed: 1 to 113 (got 400)",
        ),
        (
            "[round]\nround_weeks = 4\n",
            "round.round_weeks: is too short for the schedule (end_reminder_days_before = 30); "
            "allowed: 5 to 52 (got 4)",
        ),
        (
            '[database]\npath = "missing/iln.sqlite3"\n',
            "database.path: the folder",
        ),
        ('token_file = "nope/token"\n', "discord.token_file: no such file"),
    ],
)
def test_settings_the_program_would_refuse_are_refused_with_their_key_and_range(
    tmp_path: Path, extra: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, BASE + extra))
    assert any(problem.startswith(expected) for problem in caught.value.problems), (
        caught.value.problems
    )
