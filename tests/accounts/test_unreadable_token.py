"""A stored token that no configured key decrypts any more (BACKUPSUI_TOKEN_KEYS changed
without the old key): every page that needs it says so, not "no token" beside "Last accepted
1 minute ago"; it is logged once, naming its row and never its ciphertext; storing it again
ends it. (Its plans pause with that reason: tests/plans/test_runner.py; /metrics counts it:
tests/system/test_metrics.py.)"""

import logging

import pytest
from cryptography.fernet import Fernet
from django.utils import timezone

from backupsui.accounts.models import ApiToken
from backupsui.jobs import runner
from backupsui.jobs.models import Job
from tests.conftest import OPERATOR_TOKEN
from tests.helpers import text

SAID = "Your stored token can no longer be read: the keys changed; store it again."


@pytest.fixture
def keys_changed(settings, operator):
    ApiToken.objects.filter(user=operator).update(last_accepted_at=timezone.now())
    settings.BACKUPSUI_TOKEN_KEYS = [Fernet.generate_key().decode()]
    return ApiToken.objects.get(user=operator)


def test_it_says_so_on_the_pages_that_need_it_and_logs_it_once(
    keys_changed, operator_client, caplog
):
    with caplog.at_level(logging.WARNING, logger="backupsui.accounts"):
        for page in ("/backups/", "/servers/", "/backups/new/"):
            sent = operator_client.get(page)
            assert sent.status_code == 302 and sent["Location"].startswith("/account/token/")
            shown = text(operator_client.get(sent["Location"]))
            assert SAID in shown, page
            assert "Store your API token first" not in shown and "Last accepted" not in shown
    lines = [record for record in caplog.records if record.name == "backupsui.accounts"]
    assert len(lines) == 1  # once per token, however many pages
    assert f"stored API token {keys_changed.pk} (user {keys_changed.user_id})" in (
        lines[0].getMessage()
    )
    assert keys_changed.ciphertext not in lines[0].getMessage()
    assert ApiToken.objects.get(pk=keys_changed.pk).unreadable_since is not None


def test_it_ends_when_the_token_is_stored_again(keys_changed, operator_client, sandbox):
    operator_client.get("/backups/")
    saved = operator_client.post("/account/token/", {"token": OPERATOR_TOKEN})
    assert saved.status_code == 302
    assert ApiToken.objects.get(user=keys_changed.user).unreadable_since is None
    assert operator_client.get("/backups/").status_code == 200


def test_it_stops_a_restore_job_saying_why(keys_changed, operator):
    job = Job.objects.create(user=operator, server_id=12345, backup_id=7)
    runner.advance(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert job.detail_text.startswith("Your stored token can no longer be read (the keys changed)")
