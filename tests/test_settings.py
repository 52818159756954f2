"""Settings come from the environment; a bad value fails at start, naming the variable."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from backupsui.env import (
    env_bool,
    env_cache_url,
    env_fernet_keys,
    env_list,
    env_number,
    env_ports,
    env_role_map,
    env_roles,
    env_url,
)


def test_it_reads_booleans_lists_numbers_and_urls(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_LIST", " a, b ,,c ")
    monkeypatch.setenv("X_NUM", "2.5")
    monkeypatch.setenv("X_URL", "https://api.example.com/v1/")
    assert env_bool("X_BOOL") is True
    assert env_list("X_LIST") == ["a", "b", "c"]
    assert env_number("X_NUM", 1.0) == 2.5
    assert env_url("X_URL", "") == "https://api.example.com/v1"
    assert env_bool("X_MISSING", True) is True
    monkeypatch.setenv("X_CACHE", " redis://:secret@cache.internal:6379/2 ")
    assert env_cache_url("X_CACHE") == "redis://:secret@cache.internal:6379/2"
    assert env_cache_url("X_MISSING") == ""


@pytest.mark.parametrize(
    ("reader", "value"),
    [
        (lambda: env_bool("X_BAD"), "maybe"),
        (lambda: env_number("X_BAD", 1.0), "ten"),
        (lambda: env_number("X_BAD", 1.0), "-3"),
        (lambda: env_url("X_BAD", ""), "ftp://x"),
        (lambda: env_cache_url("X_BAD"), "memcached://127.0.0.1:11211"),
    ],
)
def test_it_names_the_variable_with_a_bad_value(monkeypatch, reader, value):
    monkeypatch.setenv("X_BAD", value)
    with pytest.raises(ImproperlyConfigured, match="X_BAD"):
        reader()


def test_it_refuses_token_keys_that_are_not_fernet_keys(monkeypatch):
    from cryptography.fernet import Fernet

    good = Fernet.generate_key().decode()
    monkeypatch.setenv("X_KEYS", f"{good}, {good}")
    assert env_fernet_keys("X_KEYS") == [good, good]
    monkeypatch.setenv("X_KEYS", f"{good},not-a-key")
    with pytest.raises(ImproperlyConfigured, match="X_KEYS.*key 2 is not one"):
        env_fernet_keys("X_KEYS")


ROLES = ("Auditors", "Operators", "Support")


def test_it_reads_roles_and_the_roles_groups_give(monkeypatch):
    monkeypatch.setenv("X_ROLES", "Operators, Auditors")
    monkeypatch.setenv("X_MAP", "backup-admins=Operators, helpdesk=Support")
    assert env_roles("X_ROLES", ROLES, ["Operators"]) == ["Operators", "Auditors"]
    assert env_roles("X_MISSING", ROLES, ["Operators"]) == ["Operators"]
    monkeypatch.setenv("X_ROLES", "")
    assert env_roles("X_ROLES", ROLES, ["Operators"]) == []  # empty: none required
    assert env_role_map("X_MAP", ROLES) == {"backup-admins": "Operators", "helpdesk": "Support"}


@pytest.mark.parametrize("value", ["operators", "Operator", "Operators,admins"])
def test_it_refuses_a_second_factor_rule_naming_no_role(monkeypatch, value):
    monkeypatch.setenv("X_ROLES", value)
    with pytest.raises(ImproperlyConfigured) as refused:
        env_roles("X_ROLES", ROLES, ["Operators"])
    said = str(refused.value)
    assert said.startswith("X_ROLES:") and "the roles are Auditors, Operators, Support" in said


@pytest.mark.parametrize("value", ["admins=Operator", "admins=operators", "a=Support,b=Admins"])
def test_it_refuses_a_group_that_gives_no_role(monkeypatch, value):
    monkeypatch.setenv("X_MAP", value)
    with pytest.raises(ImproperlyConfigured) as refused:
        env_role_map("X_MAP", ROLES)
    said = str(refused.value)
    assert said.startswith("X_MAP:") and "the roles are Auditors, Operators, Support" in said


def run_check(**env):
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "BACKUPS", "DATABASE_URL"))
    }
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_refuses_to_start_without_secrets_when_debug_is_off():
    result = run_check(DJANGO_SETTINGS_MODULE="backupsui.settings")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_it_refuses_a_bad_timeout_by_name():
    result = run_check(
        DJANGO_SETTINGS_MODULE="backupsui.settings", DJANGO_DEBUG="1", BACKUPS_API_TIMEOUT="soon"
    )
    assert result.returncode != 0 and "BACKUPS_API_TIMEOUT" in result.stderr


def test_it_passes_the_deploy_check_in_production_configuration():
    from cryptography.fernet import Fernet

    result = run_check(
        DJANGO_SETTINGS_MODULE="backupsui.settings",
        DJANGO_SECRET_KEY="x" * 20 + "-Production-Like-Secret-Key-With-Entropy-1234567890",
        BACKUPSUI_TOKEN_KEYS=Fernet.generate_key().decode(),
        DJANGO_ALLOWED_HOSTS="backups.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_to_start_with_a_malformed_token_key():
    result = run_check(
        DJANGO_SETTINGS_MODULE="backupsui.settings",
        DJANGO_SECRET_KEY="x" * 50,
        BACKUPSUI_TOKEN_KEYS="not-a-fernet-key",
    )
    assert result.returncode != 0
    assert "BACKUPSUI_TOKEN_KEYS" in result.stderr and "Traceback" not in result.stdout


def test_it_refuses_a_bad_log_format_by_name():
    result = run_check(
        DJANGO_SETTINGS_MODULE="backupsui.settings", DJANGO_DEBUG="1", BACKUPSUI_LOG_FORMAT="xml"
    )
    assert result.returncode != 0 and "BACKUPSUI_LOG_FORMAT" in result.stderr


def test_it_leaves_connections_to_psycopgs_pool_when_the_url_asks_for_it():
    def connection_settings(url: str) -> str:
        return subprocess.run(
            [
                sys.executable,
                "-c",
                "from django.conf import settings; d = settings.DATABASES['default']; "
                "print(d['CONN_MAX_AGE'], d.get('OPTIONS', {}).get('pool'))",
            ],
            env={
                **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATA"))},
                "DJANGO_SETTINGS_MODULE": "backupsui.settings",
                "DJANGO_DEBUG": "1",
                "DATABASE_URL": url,
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.split()

    assert connection_settings("postgres://panel@db.internal:5432/backupsui") == ["60", "None"]
    assert connection_settings("postgres://panel@db.internal:5432/backupsui?pool=true") == [
        "0",
        "True",
    ]


@pytest.mark.parametrize(
    ("variable", "value", "hint"),
    [
        ("BACKUPSUI_MFA_REQUIRED", "operators", "'operators' (did you mean 'Operators'?)"),
        ("BACKUPSUI_MFA_REQUIRED", "Operator", "'Operator' (did you mean 'Operators'?)"),
        ("BACKUPSUI_OIDC_ROLES", "admins=Operator", "'Operator' (did you mean 'Operators'?)"),
    ],
)
def test_it_stops_at_start_when_a_role_setting_names_no_role(variable, value, hint):
    """A typo must not start a panel that requires no second factor, or gives no role."""
    result = run_check(
        DJANGO_SETTINGS_MODULE="backupsui.settings", DJANGO_DEBUG="1", **{variable: value}
    )
    assert result.returncode != 0
    assert f"{variable}: {hint} is not a role" in result.stderr
    assert "the roles are Auditors, Operators, Support" in result.stderr


def test_it_shares_the_default_cache_through_the_database_or_redis():
    """Used one-time codes and rate limits hold across processes: never a process's memory."""

    def default_cache(**env) -> list[str]:
        return subprocess.run(
            [
                sys.executable,
                "-c",
                "from django.conf import settings; d = settings.CACHES['default']; "
                "print(d['BACKEND'], d['LOCATION'])",
            ],
            env={
                **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BACKUPS"))},
                "DJANGO_SETTINGS_MODULE": "backupsui.settings",
                "DJANGO_DEBUG": "1",
                **env,
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.split()

    assert default_cache() == ["django.core.cache.backends.db.DatabaseCache", "backupsui_cache"]
    assert default_cache(BACKUPSUI_CACHE_URL="redis://cache.internal:6379/3") == [
        "django.core.cache.backends.redis.RedisCache",
        "redis://cache.internal:6379/3",
    ]


def test_it_reads_the_outbound_ports(monkeypatch):
    assert env_ports("X_PORTS", [443]) == {443}
    monkeypatch.setenv("X_PORTS", " 443, 8443 ,")
    assert env_ports("X_PORTS", [443]) == {443, 8443}
    for bad in ("https", "0", "70000", "443;80", "-1"):
        monkeypatch.setenv("X_PORTS", bad)
        with pytest.raises(ImproperlyConfigured, match="X_PORTS"):
            env_ports("X_PORTS", [443])


@pytest.mark.parametrize(
    ("variable", "value"),
    [("BACKUPSUI_OUTBOUND_PORTS", "https"), ("BACKUPSUI_APPRISE_MAX", "lots")],
)
def test_it_refuses_bad_alert_limits_by_name(variable, value):
    result = run_check(
        DJANGO_SETTINGS_MODULE="backupsui.settings", DJANGO_DEBUG="1", **{variable: value}
    )
    assert result.returncode != 0 and variable in result.stderr


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"DJANGO_LOG_LEVEL": "LOUD"}, "DJANGO_LOG_LEVEL must be one of DEBUG, INFO, WARNING"),
        ({"DJANGO_TIME_ZONE": "Mars/Olympus_Mons"}, "DJANGO_TIME_ZONE must be a time zone"),
        (
            {"BACKUPSUI_SIZE_LOW": "3", "BACKUPSUI_SIZE_HIGH": "2"},
            "BACKUPSUI_SIZE_LOW must be below BACKUPSUI_SIZE_HIGH",
        ),
    ],
)
def test_it_names_a_bad_log_level_time_zone_or_size_bounds(variables, named):
    result = run_check(DJANGO_SETTINGS_MODULE="backupsui.settings", DJANGO_DEBUG="1", **variables)
    assert result.returncode != 0
    assert named in result.stderr, result.stderr[-2000:]


def test_it_reads_a_log_level_in_any_case_and_a_time_zone(monkeypatch):
    from backupsui.env import env_choice, env_time_zone

    monkeypatch.setenv("X_LEVEL", "warning")
    assert env_choice("X_LEVEL", ("INFO", "WARNING"), "INFO") == "WARNING"
    monkeypatch.setenv("X_ZONE", "Pacific/Apia")
    assert env_time_zone("X_ZONE", "UTC") == "Pacific/Apia"
    assert env_time_zone("X_MISSING", "UTC") == "UTC"
