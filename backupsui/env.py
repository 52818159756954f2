"""Reading settings from the environment; a bad value fails at start, naming the variable."""

import difflib
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


def env_ports(name: str, default: list[int]) -> frozenset[int]:
    """TCP ports, comma-separated ("443, 8443"): each a whole number from 1 to 65535."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return frozenset(default)
    ports = set()
    for item in env_list(name):
        if not item.isdigit() or not 1 <= int(item) <= 65535:
            raise ImproperlyConfigured(
                f"{name} must hold TCP ports (1 to 65535), comma-separated, not {item!r}."
            )
        ports.add(int(item))
    return frozenset(ports)


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


def _unknown_roles(name: str, found: list[str], known: tuple[str, ...]) -> None:
    """Stops start-up when `found` names a role that does not exist: a typo must not turn a
    rule off. Names are matched exactly, as the groups are."""
    unknown = [role for role in found if role not in known]
    if not unknown:
        return
    hints = []
    for role in unknown:
        close = difflib.get_close_matches(role, known, n=1, cutoff=0.6)
        hints.append(f"{role!r} (did you mean {close[0]!r}?)" if close else repr(role))
    verb = "is not a role" if len(hints) == 1 else "are not roles"
    raise ImproperlyConfigured(
        f"{name}: {', '.join(hints)} {verb}; the roles are {', '.join(known)} "
        "(names match exactly)."
    )


def env_roles(name: str, known: tuple[str, ...], default: list[str]) -> list[str]:
    """Role names, comma-separated, each one of `known` (empty: none)."""
    roles = env_list(name, default)
    _unknown_roles(name, roles, known)
    return roles


def env_role_map(name: str, known: tuple[str, ...]) -> dict[str, str]:
    """`group=Role` pairs, comma-separated: the groups a provider sends and the role each
    gives, each role one of `known`."""
    mapping = {}
    for pair in env_list(name):
        group, sep, role = pair.partition("=")
        if not sep or not group.strip() or not role.strip():
            raise ImproperlyConfigured(
                f"{name} must be group=Role pairs, comma-separated, not {pair!r}."
            )
        mapping[group.strip()] = role.strip()
    _unknown_roles(name, list(dict.fromkeys(mapping.values())), known)
    return mapping
