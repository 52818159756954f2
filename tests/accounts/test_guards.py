"""The two constraints as decorators, for views the guard middleware does not name: a change
by someone who must add a second factor goes to add one; a late change is confirmed first."""

import time

from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.test import RequestFactory

from backupsui.accounts.guards import reauthentication_required, second_factor_required
from backupsui.accounts.identity import CONFIRMED_AT


@second_factor_required
@reauthentication_required
def change(request):
    return HttpResponse("changed")


def request_by(user, method="post", confirmed_minutes_ago=0.0):
    request = getattr(RequestFactory(), method)("/plans/7/delete/", {"idempotency_key": "k"})
    request.user = user
    request.session = SessionStore()
    request.session[CONFIRMED_AT] = time.time() - confirmed_minutes_ago * 60
    request._messages = FallbackStorage(request)
    return request


def test_it_sends_a_role_that_must_have_a_second_factor_to_add_one(operator, settings):
    settings.BACKUPSUI_MFA_REQUIRED = ["Operators"]
    response = change(request_by(operator))
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/"
    assert change(request_by(operator, "get")).content == b"changed"  # reading is fine
    settings.BACKUPSUI_MFA_REQUIRED = []
    assert change(request_by(operator)).content == b"changed"


def test_it_confirms_a_late_change_first_and_keeps_it_to_carry_out(operator, settings):
    late = request_by(operator, confirmed_minutes_ago=settings.BACKUPSUI_REAUTH_MINUTES + 1)
    response = change(late)
    assert response["Location"] == "/accounts/reauthenticate/?next=%2Fplans%2F7%2Fdelete%2F"
    assert "idempotency_key=k" in late.session["account_reauthentication_state"]["request"]
    assert change(request_by(operator, confirmed_minutes_ago=1)).content == b"changed"
