"""Settings from the environment: strings converted to each field's type (msgspec)."""

from __future__ import annotations

import pytest

from verdigris.config import DEFAULT_DB, Settings


def test_defaults_without_environment() -> None:
    assert Settings.from_env({}) == Settings()
    assert Settings().db == DEFAULT_DB


def test_environment_strings_become_typed_fields() -> None:
    settings = Settings.from_env(
        {
            "VERDIGRIS_PORT": "9000",
            "VERDIGRIS_WORKERS": "2",
            "VERDIGRIS_DB": "sqlite:///x.db",
            "VERDIGRIS_REDIS_URL": "redis://127.0.0.1:6379/0",
            "VERDIGRIS_RATE_LIMITS": "0",
            "OTHER_PORT": "1",
        }
    )
    assert (settings.port, settings.workers, settings.db) == (9000, 2, "sqlite:///x.db")
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.rate_limits is False


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        *[("on", True), ("Yes", True), ("TRUE", True), ("1", True)],
        *[("off", False), (" no ", False), ("false", False), ("0", False)],
    ],
)
def test_every_documented_spelling_of_a_flag(raw: str, value: bool) -> None:
    assert Settings.from_env({"VERDIGRIS_RATE_LIMITS": raw}).rate_limits is value


def test_an_empty_optional_setting_is_unset() -> None:
    assert Settings.from_env({"VERDIGRIS_REDIS_URL": ""}).redis_url is None


def test_overrides_win_unless_none() -> None:
    settings = Settings.from_env({"VERDIGRIS_PORT": "9000"}, port=None, workers=4)
    assert (settings.port, settings.workers) == (9000, 4)


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("PORT", "eighty", "VERDIGRIS_PORT='eighty': Expected `int`"),
        ("RATE_LIMITS", "maybe", "VERDIGRIS_RATE_LIMITS='maybe': Expected `bool`"),
    ],
)
def test_a_bad_value_names_its_variable(name: str, raw: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        Settings.from_env({f"VERDIGRIS_{name}": raw})
    assert str(caught.value) == message


def test_durability_and_failed_auth_settings_convert_and_are_checked() -> None:
    settings = Settings.from_env(
        {
            "VERDIGRIS_DURABILITY": "fast",
            "VERDIGRIS_AUTH_FAILURE_LIMIT": "0",
            "VERDIGRIS_AUTH_FAILURE_WINDOW_SECONDS": "60",
        }
    )
    assert (settings.durability, settings.auth_failure_limit) == ("fast", 0)
    assert settings.auth_failure_window_seconds == 60
    with pytest.raises(ValueError, match="auth_failure_limit must be 0 or more"):
        Settings.from_env({"VERDIGRIS_AUTH_FAILURE_LIMIT": "-1"})
