"""Second-factor codes cannot be guessed: wrong codes at the sign-in's second step and when
confirming again are limited per person and per address (authenticator-app and recovery codes
alike); a locked try is answered 429 with the time the lock lifts, checks no code, and the
lock-out is on the audit trail once."""

import re
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import RequestFactory

from backupsui.accounts import code_limits
from backupsui.audit.models import AuditEvent
from tests.accounts.test_second_factors import age_confirmations, with_app
from tests.conftest import PASSWORD
from tests.helpers import FormClient, events, text, totp_code

HERE = "203.0.113.7"
ELSEWHERE = "198.51.100.30"
WRONG = "000000"


def at_second_step(username: str = "olivia", address: str = HERE) -> FormClient:
    client = FormClient(REMOTE_ADDR=address)
    asked = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert asked["Location"] == "/accounts/2fa/authenticate/"
    return client


def send_code(client, code: str):
    return client.post("/accounts/2fa/authenticate/", {"code": code})


def messages_of(username: str) -> list[str]:
    return list(
        AuditEvent.objects.filter(action="sign_in_failed", actor_username=username)
        .order_by("id")
        .values_list("message", flat=True)
    )


def lifts_at(response) -> datetime:
    shown = re.search(r'<time datetime="([^"]+)">', text(response)).group(1)
    return datetime.fromisoformat(shown)


@pytest.fixture
def five_in_a_period(settings):
    settings.BACKUPSUI_CODE_FAILURE_LIMIT = 5
    settings.BACKUPSUI_CODE_ADDRESS_LIMIT = 20
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def test_it_locks_the_second_step_after_five_wrong_codes_until_the_period_ends(
    operator, five_in_a_period
):
    secret, _codes = with_app(operator)
    start = datetime(2026, 3, 2, 9, 1, 30, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        client = at_second_step()
        for _ in range(4):
            wrong = send_code(client, WRONG)
            assert wrong.status_code == 200 and "Incorrect code." in text(wrong)
        locked = send_code(client, WRONG)
        assert locked.status_code == 429
        assert "Too many wrong codes were entered for this account" in text(locked)
        # The period holding 09:01:30 ends at 09:15 (periods of 15 minutes from the epoch).
        assert lifts_at(locked) == datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
        assert locked["Retry-After"] == str(13 * 60 + 30)
        # Even the right code is not checked now, and signs nobody in.
        refused = send_code(client, totp_code(secret))
        assert refused.status_code == 429
        assert "_auth_user_id" not in client.session
    assert messages_of("olivia") == [code_limits.WRONG] * 5 + [code_limits.LOCKED_OUT]

    with time_machine.travel(datetime(2026, 3, 2, 9, 15, 1, tzinfo=UTC), tick=False):
        client = at_second_step()
        landed = send_code(client, totp_code(secret))
        assert landed["Location"] == "/backups/"


def test_it_starts_a_person_again_after_a_right_code(operator, five_in_a_period):
    secret, _codes = with_app(operator)
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC), tick=False):
        client = at_second_step()
        for _ in range(4):
            assert send_code(client, WRONG).status_code == 200
        assert send_code(client, totp_code(secret))["Location"] == "/backups/"
        client.post("/accounts/logout/")
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, 40, tzinfo=UTC), tick=False):
        client = at_second_step()
        for _ in range(4):
            assert send_code(client, WRONG).status_code == 200


def test_it_locks_recovery_codes_when_confirming_again(operator, settings, five_in_a_period):
    secret, codes = with_app(operator)
    client = at_second_step()
    assert send_code(client, totp_code(secret))["Location"] == "/backups/"
    age_confirmations(client, settings.BACKUPSUI_REAUTH_MINUTES + 1)
    url = "/accounts/2fa/reauthenticate/"
    for _ in range(4):
        wrong = client.post(url, {"code": "aaaa-bbbb", "next": "/backups/"})
        assert wrong.status_code == 200 and "Incorrect code." in text(wrong)
    locked = client.post(url, {"code": "aaaa-bbbb", "next": "/backups/"})
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 0
    assert "Too many wrong codes were entered for this account" in text(locked)
    assert client.post(url, {"code": codes[0], "next": "/backups/"}).status_code == 429
    assert not events("reauthenticated") and not events("recovery_code_used")
    assert messages_of("olivia") == [code_limits.WRONG_AGAIN] * 5 + [code_limits.LOCKED_OUT]


def test_it_locks_an_address_trying_codes_across_people(
    django_user_model, operator, support, five_in_a_period, settings
):
    settings.BACKUPSUI_CODE_ADDRESS_LIMIT = 3
    with_app(support)
    secret, _codes = with_app(operator)
    for _ in range(2):
        assert send_code(at_second_step("sam"), WRONG).status_code == 200
    client = at_second_step("olivia")
    locked = send_code(client, WRONG)  # the address's third wrong code
    assert locked.status_code == 429
    assert "Too many wrong codes came from your address" in text(locked)
    assert send_code(at_second_step("olivia"), totp_code(secret)).status_code == 429
    assert (
        AuditEvent.objects.filter(message=code_limits.ADDRESS_LOCKED_OUT, remote_addr=HERE).count()
        == 1
    )
    # From elsewhere, Olivia's own code still signs her in.
    landed = send_code(at_second_step("olivia", ELSEWHERE), totp_code(secret))
    assert landed["Location"] == "/backups/"


@pytest.mark.django_db(transaction=True)
def test_it_checks_no_more_codes_than_the_limit_when_tries_come_at_once(
    django_user_model, settings
):
    """Twenty tries at the same moment, each in its own thread and database connection:
    exactly the limit of them get to have their code checked."""
    settings.BACKUPSUI_CODE_FAILURE_LIMIT = 5
    person = django_user_model.objects.create_user("olivia", password=PASSWORD)
    request = RequestFactory().post("/accounts/2fa/authenticate/", REMOTE_ADDR=HERE)
    now = time.time()
    allowed = []
    start = threading.Barrier(20)

    def race():
        from django.db import connection

        start.wait()
        try:
            if code_limits.Attempt(request, person, now=now).begin() is None:
                allowed.append(True)
        finally:
            connection.close()

    racers = [threading.Thread(target=race) for _ in range(20)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(60)
    assert len(allowed) == 5
