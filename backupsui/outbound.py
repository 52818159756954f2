"""The one rule for every address the panel connects to on someone's behalf (a webhook, an
Apprise URL): the host is resolved, and refused unless every address it resolves to is
public, and the port must be one of BACKUPSUI_OUTBOUND_PORTS. A refusal says why.

The rule is checked when an address is saved, and again each time it is used: `check`
returns the addresses it checked, and the connection goes to those very addresses (the
webhook connects to the address itself; a child process sending through a library that
resolves names itself calls `pin` first, so that every name it resolves is answered with
checked addresses only). A name that resolves elsewhere a moment later (DNS rebinding)
changes nothing.

With DJANGO_DEBUG on (development only), loopback and private addresses are allowed too, on
any port, so that a receiver on the developer's machine can be tried (`Rule.private_allowed`).

This module is on the ground floor: it imports no app, and reads no setting except in
`rule()`, so that a child process without Django's settings can use the rest."""

import ipaddress
import socket
import threading
from dataclasses import dataclass, field

from django.utils.translation import gettext_noop as _

from backupsui.words import Sentence, untranslated

# What the system resolves with, kept before `pin` replaces socket.getaddrinfo.
_system_getaddrinfo = socket.getaddrinfo


def system_resolver(host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002
    """The system's resolver (socket.getaddrinfo's answers)."""
    return _system_getaddrinfo(host, port, family, type, proto, flags)


@dataclass
class Table:
    """A resolver answering from a table of names (name -> addresses), as a hosts file
    would: a name not in it does not resolve; an address stands for itself. Tests inject
    one, so that no name is looked up beyond this machine."""

    names: dict[str, list[str]] = field(default_factory=dict)

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002
        if _literal(host) is not None:
            addresses = [host]
        else:
            addresses = self.names.get(str(host).lower().rstrip("."), [])
        found = []
        for address in addresses:
            ip = ipaddress.ip_address(address)
            kind = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
            if family in (0, socket.AF_UNSPEC, kind):
                where = (address, port, 0, 0) if ip.version == 6 else (address, port)
                found.append((kind, type or socket.SOCK_STREAM, proto or 6, "", where))
        if not found:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return found


@dataclass
class Rule:
    """The rule as configured: the ports allowed, whether loopback and private addresses
    are allowed too (development), and the resolver (a module-level function or a Table:
    a rule is handed to child processes)."""

    ports: frozenset[int]
    private_allowed: bool = False
    resolver: object = system_resolver


# Tests replace this (with a Table) to resolve names without looking them up.
resolver = system_resolver


def rule() -> Rule:
    """The rule of this deployment (BACKUPSUI_OUTBOUND_PORTS, DJANGO_DEBUG)."""
    from django.conf import settings

    return Rule(
        ports=frozenset(settings.BACKUPSUI_OUTBOUND_PORTS),
        private_allowed=bool(settings.DEBUG),
        resolver=resolver,
    )


class Refused(Exception):
    """The rule refuses an address; `why` says why, in words for people."""

    def __init__(self, why: Sentence):
        super().__init__(untranslated(why))
        self.why = why


LOOPBACK = _("The host's address is a loopback address (this machine).")
PRIVATE = _("The host's address is in a private network.")
LINK_LOCAL = _("The host's address is link-local (such as a cloud's metadata service).")
SITE_LOCAL = _("The host's address is site-local (fec0::/10, a private range).")
MULTICAST = _("The host's address is a multicast address.")
UNSPECIFIED = _("The host's address is unspecified (0.0.0.0 or ::).")
RESERVED = _("The host's address is in a reserved range.")
INNER = _("The host's address carries an IPv4 address inside it that is not public.")
NOT_GLOBAL = _("The host's address is not public.")
WANTED = _("Alerts go to public addresses only.")
DOES_NOT_RESOLVE = _("That host name does not resolve.")
NO_HOST = _("That URL names no host.")
PORT = _("Port %(port)s is not allowed: alerts go to port %(ports)s only.")

# IPv6 addresses that carry an IPv4 address: the one inside is where a connection ends up,
# so it must be public too, whatever Python says of the outside.
MAPPED = ipaddress.ip_network("::ffff:0:0/96")  # ::ffff:a.b.c.d
TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # ::ffff:0:a.b.c.d (SIIT)
COMPATIBLE = ipaddress.ip_network("::/96")  # ::a.b.c.d, deprecated
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # the well-known prefix (DNS64)
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # local use: never public


def _literal(host):
    try:
        return ipaddress.ip_address(str(host).strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _inner(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (mapped, translated, compatible, NAT64,
    6to4, Teredo's server and client), or none."""
    last32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in MAPPED or ip in TRANSLATED or ip in NAT64:
        return [last32]
    if ip in COMPATIBLE and int(ip) > 1:  # not :: nor ::1
        return [last32]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    return []


def address_refusal(ip) -> str | None:
    """Why the rule refuses this address (a sentence's English template), or None when
    it is public."""
    if ip.version == 6:
        for inner in _inner(ip):
            if address_refusal(inner) is not None:
                return INNER
        if ip in MAPPED or ip in NAT64:
            return None  # a connection to it reaches the (public) address inside
        if ip in TRANSLATED or ip in COMPATIBLE and int(ip) > 1 or ip in NAT64_LOCAL:
            return NOT_GLOBAL
        if ip.is_site_local:  # fec0::/10: deprecated, private, and "global" to Python
            return SITE_LOCAL
    checks = (
        (ip.is_unspecified, UNSPECIFIED),
        (ip.is_loopback, LOOPBACK),
        (ip.is_link_local, LINK_LOCAL),
        (ip.is_multicast, MULTICAST),
        (ip.is_reserved, RESERVED),
        (ip.is_private, PRIVATE),
        (not ip.is_global, NOT_GLOBAL),
    )
    return next((why for refused, why in checks if refused), None)


def public(ip) -> bool:
    return address_refusal(ip) is None


def _refused(template: str, **values) -> Refused:
    if template in (DOES_NOT_RESOLVE, NO_HOST, PORT):
        return Refused(Sentence(template, **values))
    return Refused(Sentence(template) + Sentence(WANTED))


def _port(port) -> int | None:
    try:
        return int(port)
    except (TypeError, ValueError):
        return None


def check(host, port, the_rule: Rule, family=0, type=socket.SOCK_STREAM, proto=0, flags=0):  # noqa: A002
    """The host's addresses (getaddrinfo's tuples) when the rule allows every one of them
    and the port; raises Refused naming the first reason otherwise."""
    host = str(host or "").strip("[]")
    if not host:
        raise _refused(NO_HOST)
    number = _port(port)
    allowed_port = number in the_rule.ports
    if not allowed_port and not the_rule.private_allowed:
        raise _refused(PORT, port=port, ports=", ".join(str(p) for p in sorted(the_rule.ports)))
    try:
        found = the_rule.resolver(host, port, family, type, proto, flags)
    except (OSError, UnicodeError, ValueError):
        raise _refused(DOES_NOT_RESOLVE) from None
    if not found:
        raise _refused(DOES_NOT_RESOLVE)
    reasons = [address_refusal(_literal(info[4][0])) for info in found]
    if the_rule.private_allowed and all(reasons):
        return found  # development: a receiver on this machine or network, on any port
    for why in reasons:
        if why is not None and not the_rule.private_allowed:
            raise _refused(why)
    if not allowed_port:
        raise _refused(PORT, port=port, ports=", ".join(str(p) for p in sorted(the_rule.ports)))
    return found


# What `pin` refused last in each thread: the sending that asked can say why.
last_refusal = threading.local()


def pin(the_rule: Rule) -> None:
    """From now on, in this process, every name resolved (by any library) is answered only
    with addresses the rule allows, checked at that moment: a connection goes nowhere else.
    For a child process that does nothing but send (it changes socket.getaddrinfo)."""

    def checked(host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002
        try:
            return check(host, port, the_rule, family, type, proto, flags)
        except Refused as refused:
            last_refusal.why = refused.why
            raise socket.gaierror(socket.EAI_FAIL, str(refused)) from None

    socket.getaddrinfo = checked
