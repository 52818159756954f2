"""`manage.py prune`: what the panel no longer needs goes, what it still needs stays, and the
audit trail is never touched. Servers seen are renewed at most once a day."""

from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from backupsui.audit.models import AuditEvent
from backupsui.audit.recorder import note
from backupsui.backups.health import note_servers
from backupsui.backups.models import FormKey, SeenServer
from backupsui.jobs.tasks import housekeeping

DAY = timedelta(days=1)


def prune(*args) -> str:
    out = StringIO()
    call_command("prune", *args, stdout=out)
    return out.getvalue()


def aged(model, pk, **times):
    model.objects.filter(pk=pk).update(**times)


def sign_in_record(model, username: str, **extra):
    return model.objects.create(
        username=username,
        ip_address="192.0.2.1",
        user_agent="test",
        http_accept="*/*",
        path_info="/accounts/login/",
        **extra,
    )


def task_result(status: str, finished_at) -> DBTaskResult:
    result = DBTaskResult.objects.get(id=housekeeping.enqueue().id)
    aged(DBTaskResult, result.pk, status=status, finished_at=finished_at)
    return result


@pytest.fixture
def old_and_new(operator):
    now = timezone.now()
    made = {}
    for age, name in ((40 * DAY, "old"), (timedelta(minutes=1), "new")):
        session = SessionStore()
        session["n"] = name
        session.create()
        # An old session ended long ago; a new one runs for hours yet.
        aged(Session, session.session_key, expire_date=now - age if name == "old" else now + age)
        attempt = sign_in_record(
            AccessAttempt, f"{name}-attempt", get_data="", post_data="", failures_since_start=3
        )
        aged(AccessAttempt, attempt.pk, attempt_time=now - age)
        log = sign_in_record(AccessLog, f"{name}-log")
        aged(AccessLog, log.pk, attempt_time=now - age)
        failure = sign_in_record(AccessFailureLog, f"{name}-failure")
        aged(AccessFailureLog, failure.pk, attempt_time=now - age)
        key = FormKey.objects.create(key=f"{name}-key", user=operator, created_at=now - age)
        seen = SeenServer.objects.create(
            user=operator, token_saved_at=now, server_id=len(made) + 1, last_seen_at=now - age
        )
        result = task_result("SUCCESSFUL", now - age)
        made[name] = {
            "session": session.session_key,
            "attempt": attempt.pk,
            "log": log.pk,
            "failure": failure.pk,
            "key": key.pk,
            "seen": seen.pk,
            "result": result.pk,
        }
    return made


MODELS = {
    "session": Session,
    "attempt": AccessAttempt,
    "log": AccessLog,
    "failure": AccessFailureLog,
    "key": FormKey,
    "seen": SeenServer,
    "result": DBTaskResult,
}


def exists(kind: str, pk) -> bool:
    return MODELS[kind].objects.filter(pk=pk).exists()


def test_it_removes_what_is_past_its_time_and_keeps_the_rest(old_and_new, operator):
    failed_long_ago = task_result("FAILED", timezone.now() - 40 * DAY)
    waiting = DBTaskResult.objects.get(id=housekeeping.enqueue().id)
    note(None, "token_set")
    before = AuditEvent.objects.count()

    said = prune()

    for kind, pk in old_and_new["old"].items():
        assert not exists(kind, pk), kind
    for kind, pk in old_and_new["new"].items():
        assert exists(kind, pk), kind
    assert not DBTaskResult.objects.filter(pk=failed_long_ago.pk).exists()
    assert DBTaskResult.objects.filter(pk=waiting.pk).exists()  # not finished: never pruned
    assert AuditEvent.objects.count() == before
    assert "expired sessions: 1 removed" in said
    assert "servers not seen for 30 days: 1 removed" in said
    assert "finished task results: 2 removed" in said


def test_it_counts_without_removing_on_a_dry_run(old_and_new):
    said = prune("--dry-run")
    assert "used form keys past their lifetime: 1 would be removed" in said
    for name in ("old", "new"):
        for kind, pk in old_and_new[name].items():
            assert exists(kind, pk), kind


def test_it_keeps_sign_in_records_and_results_as_long_as_asked(old_and_new):
    prune("--sign-in-days", "60", "--result-days", "60")
    old = old_and_new["old"]
    assert exists("log", old["log"]) and exists("failure", old["failure"])
    assert exists("result", old["result"])
    assert not exists("attempt", old["attempt"])  # past the lock-out's cool-off all the same


def test_it_renews_when_a_server_was_seen_at_most_once_a_day(operator, django_assert_num_queries):
    saved = timezone.now()
    note_servers(operator, saved, [(1, "web-1"), (2, "web-2")])
    with django_assert_num_queries(1):  # seen today: read, nothing written
        note_servers(operator, saved, [(1, "web-1"), (2, "web-2")])
    long_ago = timezone.now() - 29 * DAY
    SeenServer.objects.filter(server_id=1).update(last_seen_at=long_ago)
    SeenServer.objects.filter(server_id=2).update(last_seen_at=long_ago)
    with django_assert_num_queries(2):  # the read, and one update for the servers seen again
        known = note_servers(operator, saved, [(1, "web-1")])
    assert known == {1: "web-1", 2: "web-2"}
    renewed = dict(SeenServer.objects.values_list("server_id", "last_seen_at"))
    assert renewed[1] > timezone.now() - DAY and renewed[2] == long_ago
    prune()  # not seen for 30 days: 2 goes on the day it passes; 1 stays
    SeenServer.objects.filter(server_id=2).update(last_seen_at=long_ago - 2 * DAY)
    prune()
    assert set(SeenServer.objects.values_list("server_id", flat=True)) == {1}


@pytest.mark.parametrize("asked", ["--result-days=-1", "--result-days=0", "--sign-in-days=0"])
def test_it_refuses_ages_below_one_day_and_removes_nothing(old_and_new, asked):
    finished = DBTaskResult.objects.finished().count()
    with pytest.raises(CommandError, match=r"at least 1 day, not -?\d"):
        prune(asked)
    assert DBTaskResult.objects.finished().count() == finished > 0
