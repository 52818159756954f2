"""The one outbound rule: every address a host resolves to must be public (each kind of
address that is not is refused, naming the kind), the port must be allowed (before any name
is looked up), debug alone allows loopback and private addresses, and `pin` makes a process
connect only to what the rule allowed, whatever asks."""

import ipaddress
import socket
import subprocess
import sys

import pytest

from backupsui import outbound
from backupsui.outbound import Refused, Rule, Table, address_refusal, check
from backupsui.words import untranslated

RULE = Rule(ports=frozenset({443}), resolver=Table({"hooks.example": ["93.184.216.34"]}))


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "IPv4 address inside"),  # mapped
        ("::ffff:10.0.0.1", "IPv4 address inside"),
        ("::ffff:0:7f00:1", "IPv4 address inside"),  # translated
        ("::7f00:1", "IPv4 address inside"),  # compatible
        ("64:ff9b::7f00:1", "IPv4 address inside"),  # NAT64 of 127.0.0.1
        ("64:ff9b::a00:1", "IPv4 address inside"),  # NAT64 of 10.0.0.1
        ("2002:7f00:1::", "IPv4 address inside"),  # 6to4 around 127.0.0.1
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "IPv4 address inside"),  # Teredo
        ("::ffff:0:808:808", "not public"),  # translated, whatever it carries
        ("64:ff9b:1::808:808", "not public"),  # NAT64's local-use prefix
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("fec0::1", "site-local"),
        ("fec0:0:0:ffff::1", "site-local"),
        ("10.1.2.3", "private network"),
        ("172.16.0.1", "private network"),
        ("192.168.1.1", "private network"),
        ("fc00::1", "private network"),
        ("fd12:3456::1", "private network"),
        ("100.64.0.1", "not public"),  # carrier-grade NAT
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("224.0.1.1", "multicast"),
        ("239.1.2.3", "multicast"),
        ("ff0e::1", "multicast"),
    ],
)
def test_it_refuses_each_kind_of_address_that_is_not_public_by_name(address, kind):
    assert kind in address_refusal(ipaddress.ip_address(address))
    with pytest.raises(Refused, match=kind):
        check(address, 443, RULE)


@pytest.mark.parametrize(
    "address",
    [
        "93.184.216.34",
        "8.8.8.8",
        "2606:4700:4700::1111",
        "::ffff:8.8.8.8",  # mapped: the connection goes to 8.8.8.8
        "64:ff9b::808:808",  # DNS64 on an IPv6-only host
        "2002:808:808::1",  # 6to4 around 8.8.8.8
    ],
)
def test_it_takes_a_public_address(address):
    assert address_refusal(ipaddress.ip_address(address)) is None
    assert check(address, 443, RULE)[0][4][0] == address


def test_it_refuses_a_name_when_any_of_its_addresses_is_not_public():
    rule = Rule(ports=frozenset({443}), resolver=Table({"mixed.example": ["8.8.8.8", "10.0.0.1"]}))
    with pytest.raises(Refused, match="private network"):
        check("mixed.example", 443, rule)


def test_it_refuses_a_port_outside_the_list_before_looking_the_name_up():
    asked = []

    def resolver(*args):
        asked.append(args)
        return Table({"hooks.example": ["93.184.216.34"]})(*args)

    rule = Rule(ports=frozenset({443, 8443}), resolver=resolver)
    for port in (22, 80, 5432, 6379):
        with pytest.raises(Refused) as refused:
            check("hooks.example", port, rule)
        said = untranslated(refused.value.why)
        assert said == f"Port {port} is not allowed: alerts go to port 443, 8443 only."
    assert asked == []
    assert check("hooks.example", 8443, rule)


def test_it_says_when_a_name_does_not_resolve():
    with pytest.raises(Refused, match="does not resolve"):
        check("nowhere.example", 443, RULE)


def test_it_allows_loopback_and_private_addresses_on_any_port_in_debug_only():
    debug = Rule(ports=frozenset({443}), private_allowed=True, resolver=RULE.resolver)
    assert check("127.0.0.1", 8001, debug)
    assert check("10.1.2.3", 25, debug)
    with pytest.raises(Refused, match="Port 8001"):
        check("hooks.example", 8001, debug)  # a public address keeps to the ports
    with pytest.raises(Refused, match="loopback"):
        check("127.0.0.1", 443, RULE)


PINNED = """
import socket, sys
from backupsui import outbound
from backupsui.outbound import Rule, Table
listener = socket.create_server(("127.0.0.1", 0))
port = listener.getsockname()[1]
names = Table({"rebound.example": ["127.0.0.1"], "hooks.example": ["93.184.216.34"]})
outbound.pin(Rule(ports=frozenset({port, 443}), resolver=names))
try:
    socket.create_connection(("rebound.example", port), timeout=1)
    print("connected")
except OSError:
    print("refused:", outbound.last_refusal.why.parts[0][0])
print(socket.getaddrinfo("hooks.example", 443)[0][4][0])
"""


def test_it_pins_a_process_to_the_addresses_the_rule_allows():
    """In a process that called pin (as the alerts' sending child does), a name resolving
    to loopback is connected to by nothing, whatever library asks."""
    ran = subprocess.run(
        [sys.executable, "-c", PINNED], capture_output=True, text=True, timeout=60, check=True
    )
    assert ran.stdout.splitlines() == [
        f"refused: {outbound.LOOPBACK}",
        "93.184.216.34",
    ]


def test_it_resolves_from_a_table_like_a_hosts_file():
    table = Table({"hooks.example": ["93.184.216.34", "2606:4700::1"]})
    found = table("HOOKS.example.", 443, socket.AF_INET6)
    assert [info[4][0] for info in found] == ["2606:4700::1"]
    assert table("10.0.0.1", 443)[0][4] == ("10.0.0.1", 443)
    with pytest.raises(socket.gaierror):
        table("other.example", 443)
