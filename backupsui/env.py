"""Reading settings from the environment; a bad value fails at start, naming the variable."""

import ipaddress
import os
import zoneinfo

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}.")


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_number(name: str, default: float, *, minimum: float = 0, integer: bool = False):
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        kind = "a whole number" if integer else "a number"
        raise ImproperlyConfigured(f"{name} must be {kind}, not {raw!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {raw!r}.")
    return value


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    """One of `choices`, given in any case (written back as the choice is spelt)."""
    raw = env_str(name, default)
    for choice in choices:
        if raw.lower() == choice.lower():
            return choice
    raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {raw!r}.")


def env_time_zone(name: str, default: str) -> str:
    """A time zone of the IANA database, such as UTC or Pacific/Apia."""
    value = env_str(name, default)
    try:
        zoneinfo.ZoneInfo(value)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        raise ImproperlyConfigured(
            f"{name} must be a time zone such as UTC or Pacific/Apia, not {value!r}."
        ) from None
    return value


def env_url(name: str, default: str) -> str:
    value = env_str(name, default)
    if not value.startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"{name} must be an http(s) URL, not {value!r}.")
    return value.rstrip("/")


def env_cache_url(name: str) -> str:
    """A Redis URL (redis://, rediss:// or unix://), or empty."""
    value = env_str(name)
    if value and not value.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"{name} must be a redis://, rediss:// or unix:// URL.")
    return value


def env_fernet_keys(name: str) -> list[str]:
    """Fernet keys, comma-separated: each must be one (32 url-safe base64-encoded bytes)."""
    keys = env_list(name)
    for number, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"{name} must hold Fernet keys (32 url-safe base64-encoded bytes each); "
                f"key {number} is not one."
            ) from None
    return keys


def env_networks(name: str) -> list:
    """Addresses or networks, comma-separated ("10.0.0.5, 192.168.0.0/24, fd00::/8")."""
    networks = []
    for item in env_list(name):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must hold IP addresses or networks, not {item!r}."
            ) from None
    return networks
