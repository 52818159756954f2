"""Sign-in throttling against spraying: one address trying many usernames is refused before
any password is hashed, once it has failed BACKUPSUI_SIGNIN_ADDRESS_LIMIT times across them,
and a person elsewhere still signs in."""

from backupsui.audit.models import AuditEvent
from backupsui.audit.sign_ins import ADDRESS_LOCKED_OUT
from tests.conftest import PASSWORD
from tests.helpers import FormClient, text

SPRAYER = "203.0.113.9"
ELSEWHERE = "198.51.100.20"


def sign_in(username, password, address):
    return FormClient().post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_it_throttles_one_address_trying_many_usernames(operator, settings, counting):
    settings.BACKUPSUI_SIGNIN_ADDRESS_LIMIT = 20
    statuses = [sign_in(f"user{n}", "Winter2026!", SPRAYER).status_code for n in range(30)]
    first_refused = statuses.index(429)
    assert first_refused < 29, statuses
    assert set(statuses[first_refused:]) == {429}
    # Each refused try was stopped before any password was hashed.
    hashed_before = counting.hashed
    assert hashed_before >= first_refused  # the tries let through were hashed, once each
    refused = sign_in("olivia", PASSWORD, SPRAYER)  # even the right password, from there
    assert refused.status_code == 429
    assert counting.hashed == hashed_before
    assert "Too many attempts" in text(refused)
    # One event on record for the locked address, however many names it tries.
    assert AuditEvent.objects.filter(message=ADDRESS_LOCKED_OUT, remote_addr=SPRAYER).count() == 1
    # Someone elsewhere still signs in.
    assert sign_in("olivia", PASSWORD, ELSEWHERE).status_code == 302


def test_it_still_locks_one_username_at_one_address_sooner(operator, settings):
    statuses = [
        sign_in("olivia", "wrong", SPRAYER).status_code for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses[-1] == 429
    # The address has failed fewer times than its own limit: another name may still try.
    assert sign_in("sam", "wrong", SPRAYER).status_code == 200
