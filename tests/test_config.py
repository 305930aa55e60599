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
