"""Second-factor codes cannot be guessed: wrong codes are counted per person and per address
in the default cache (shared by every process and replica, see settings.CACHES), in periods
of BACKUPSUI_SIGNIN_LOCKOUT_MINUTES. A person with BACKUPSUI_CODE_FAILURE_LIMIT wrong codes in
a period, or an address with BACKUPSUI_CODE_ADDRESS_LIMIT across people, has no code checked
until the period ends. This holds at the sign-in's second step and when confirming again,
for authenticator-app and recovery codes alike.

Counting is race-free without a lock: a period has `limit` numbered slots, each a cache key
taken with `add` (which exactly one process wins; a period's keys are new, never an expired
row used again). A try takes one of the person's slots *before* its code is checked, so no
more than the limit are checked however many tries arrive at once; a right code frees the
person's slots, a wrong one keeps its slot and takes one of the address's. The try that takes
the last slot begins a lock-out, on the audit trail once, as a password lock-out is."""

import ipaddress
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from backupsui.audit.actors import Actor
from backupsui.audit.models import Action, Outcome
from backupsui.audit.recorder import note

PERSON = "person"
ADDRESS = "address"
WRONG = "Wrong second-factor code."
WRONG_AGAIN = "Wrong second-factor code when confirming again."
LOCKED_OUT = "Second-factor codes locked after repeated wrong codes."
ADDRESS_LOCKED_OUT = "Address locked out after repeated wrong second-factor codes across people."


@dataclass(frozen=True)
class Lock:
    """No code is checked until `until` (seconds since the epoch), because of `by`."""

    by: str
    until: float

    def seconds_left(self, now: float) -> int:
        return max(1, math.ceil(self.until - now))


class Slots:
    """One name's numbered slots in the period holding `now`."""

    def __init__(self, name: str, limit: int, period: float, now: float):
        self.period_end = (now // period + 1) * period
        number = int(now // period)
        self.keys = [f"backupsui:codes:{name}:{number}:{slot}" for slot in range(limit)]
        # Kept a little past the period's end, then gone by themselves.
        self.timeout = self.period_end - now + 60

    def take(self) -> int | None:
        """The number of the slot taken, or None when every slot is taken."""
        taken = cache.get_many(self.keys)
        for slot, key in enumerate(self.keys):
            if key not in taken and cache.add(key, True, timeout=self.timeout):
                return slot
        return None

    def full(self) -> bool:
        return len(cache.get_many(self.keys)) >= len(self.keys)

    def free(self) -> None:
        cache.delete_many(self.keys)


def address_of(request) -> str:
    """The client's address (after the trusted proxies); an IPv6 address counts by its /64,
    which one client usually holds whole."""
    address = request.META.get("REMOTE_ADDR") or "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address)
    return str(parsed)


class Attempt:
    """One code tried by `user` on `request`: `begin` before the code is checked (a Lock when
    it must not be), then `succeeded` or `failed` (a Lock when this wrong code began one)."""

    def __init__(self, request, user, *, reconfirming: bool = False, now: float | None = None):
        self.request = request
        self.user = user
        self.reconfirming = reconfirming
        self.now = time.time() if now is None else now
        period = settings.AXES_COOLOFF_TIME.total_seconds()
        self.person = Slots(
            f"person:{user.pk}", settings.BACKUPSUI_CODE_FAILURE_LIMIT, period, self.now
        )
        self.address = Slots(
            f"address:{address_of(request)}",
            settings.BACKUPSUI_CODE_ADDRESS_LIMIT,
            period,
            self.now,
        )
        self.slot: int | None = None

    def begin(self) -> Lock | None:
        if self.address.full():
            return Lock(ADDRESS, self.address.period_end)
        self.slot = self.person.take()
        if self.slot is None:
            return Lock(PERSON, self.person.period_end)
        return None

    def succeeded(self) -> None:
        """A right code: the person starts again from nothing (the address does not)."""
        self.person.free()

    def failed(self) -> Lock | None:
        actor = Actor.from_request(self.request, self.user)
        note(actor, Action.SIGN_IN_FAILED, Outcome.REFUSED, message=self._wrong())
        person_locked = self.slot == len(self.person.keys) - 1
        address_locked = self.address.take() == len(self.address.keys) - 1
        if person_locked:
            note(actor, Action.SIGN_IN_FAILED, Outcome.REFUSED, message=LOCKED_OUT)
        if address_locked:
            note(actor, Action.SIGN_IN_FAILED, Outcome.REFUSED, message=ADDRESS_LOCKED_OUT)
        if person_locked:
            return Lock(PERSON, self.person.period_end)
        if address_locked:
            return Lock(ADDRESS, self.address.period_end)
        return None

    def _wrong(self) -> str:
        return WRONG_AGAIN if self.reconfirming else WRONG
