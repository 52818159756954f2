"""One restore of a server at a time: a restore or a restore job of a server with a job open,
or restored within BACKUPSUI_RESTORE_QUIET_MINUTES, is refused (409, naming who started the
other and when, linking its job) unless the person ticks "restore anyway", which the audit
trail says; everyone whose token sees the server sees the restore under way and may read its
job; the Cancel stays the owner's."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from backupsui.audit.models import AuditEvent
from backupsui.jobs.models import Job
from tests.conftest import OTHER_TOKEN, SUPPORT_TOKEN, make_user
from tests.helpers import FormClient, completed_backup, events, text


def signed_in(user) -> FormClient:
    client = FormClient()
    client.force_login(user)
    return client


@pytest.fixture
def olivia(operator):
    return signed_in(operator)


@pytest.fixture
def sam(support):
    return signed_in(support)


def restore(client, backup, **extra):
    form = {"backup_id": backup.id, "confirm": backup.server.name, **extra}
    return client.post(f"/servers/{backup.server.id}/restore/", form)


def test_it_refuses_a_second_restore_job_naming_the_first_and_links_it(sandbox, olivia, sam):
    backup = completed_backup(sandbox)
    first = restore(olivia, backup, safety="on")
    job = Job.objects.get()
    assert first.status_code == 302 and first["Location"] == f"/jobs/{job.pk}/"

    sam.get("/backups/")  # sam's token (the same account) has shown him the server
    confirm = text(sam.get(f"/servers/12345/restore/?backup_id={backup.id}"))
    assert "This server is being restored already." in confirm
    assert "started by olivia" in confirm and f'href="/jobs/{job.pk}/"' in confirm
    assert 'name="anyway"' in confirm

    second = restore(sam, backup, safety="on")
    assert second.status_code == 409
    page = text(second)
    assert "so nothing was sent" in page and "started by olivia" in page
    assert f'href="/jobs/{job.pk}/"' in page
    direct = restore(sam, backup)  # without the safety backup: refused the same way
    assert direct.status_code == 409
    assert Job.objects.count() == 1
    assert not events("restore_requested") and len(events("safe_restore_requested")) == 1

    # Everyone whose token sees the server sees the restore under way, and its job.
    for url in ("/backups/", "/servers/", "/backups/?server_id=12345"):
        assert f'href="/jobs/{job.pk}/"' in text(sam.get(url)), url
    job_page = sam.get(f"/jobs/{job.pk}/")
    assert job_page.status_code == 200 and "olivia" in text(job_page)
    assert f"/jobs/{job.pk}/cancel/" not in text(job_page)  # read-only: the Cancel is olivia's
    assert sam.post(f"/jobs/{job.pk}/cancel/").status_code == 403
    job.refresh_from_db()
    assert job.state in Job.OPEN

    anyway = restore(sam, backup, safety="on", anyway="on")
    assert anyway.status_code == 302
    assert Job.objects.count() == 2
    forced = AuditEvent.objects.get(action="safe_restore_requested", actor_username="sam")
    assert forced.message.startswith(f"Sent anyway, over job {job.pk} of this server")
    assert "started by olivia" in forced.message


def test_it_keeps_a_server_quiet_after_a_restore_was_sent(sandbox, olivia, sam, settings):
    backup = completed_backup(sandbox)
    assert restore(olivia, backup).status_code == 302
    [sent] = events("restore_requested")
    assert sent.outcome == "accepted"
    second = restore(sam, backup, safety="on")
    assert second.status_code == 409
    assert "A restore of <bdi>web-server-01</bdi> was sent by olivia" in text(second)
    assert not Job.objects.exists() and len(events("restore_requested")) == 1

    settings.BACKUPSUI_RESTORE_QUIET_MINUTES = 0  # the quiet time is over
    assert restore(sam, backup).status_code == 302
    assert len(events("restore_requested")) == 2
    assert events("restore_requested")[1].message.find("Sent anyway") == -1


def test_it_says_a_restore_sent_anyway_in_the_audit_trail(sandbox, olivia, sam):
    backup = completed_backup(sandbox)
    assert restore(olivia, backup).status_code == 302
    assert restore(sam, backup, anyway="on").status_code == 302
    first, second = events("restore_requested")
    assert "Sent anyway" not in first.message
    assert re.match(
        r"Sent anyway, over a restore of this server started by olivia at ", second.message
    )


def test_it_does_not_hold_a_server_after_a_refused_restore(sandbox, olivia, sam):
    backup = completed_backup(sandbox)
    olivia.get(f"/servers/12345/restore/?backup_id={backup.id}")  # the list, as it was
    later = backup.completes_at
    backup.completes_at = datetime.now(UTC) + timedelta(hours=1)  # not completed, upstream says
    assert restore(olivia, backup).status_code == 400
    backup.completes_at = later
    assert events("restore_requested")[0].outcome == "refused"
    assert restore(sam, backup).status_code == 302  # nothing reached the server: it is free


def test_it_shows_another_accounts_job_to_nobody_else(sandbox, olivia, django_user_model):
    backup = completed_backup(sandbox)
    restore(olivia, backup, safety="on")
    job = Job.objects.get()
    otto = signed_in(make_user(django_user_model, "otto", "Support", OTHER_TOKEN))
    otto.get("/backups/")  # another account: server 12345 is not theirs
    assert otto.get(f"/jobs/{job.pk}/").status_code == 404
    assert f"/jobs/{job.pk}/" not in text(otto.get("/backups/"))
    # A second person of the account before their token ever showed them the server.
    newcomer = signed_in(make_user(django_user_model, "nia", "Support", SUPPORT_TOKEN))
    assert newcomer.get(f"/jobs/{job.pk}/").status_code == 404
    newcomer.get("/backups/")
    assert newcomer.get(f"/jobs/{job.pk}/").status_code == 200


# Undoing a finished restore job ------------------------------------------------------------


def finished_job(sandbox, user) -> Job:
    """A restore job of web-server-01 that has finished a moment ago: its safety backup taken
    (completed) and its restore sent, each on the audit trail as the job's workers write it."""
    from django.utils import timezone

    from backupsui.audit.actors import Actor
    from backupsui.audit.models import Action
    from backupsui.audit.recorder import note

    made = sandbox.state.create_backup("acme", 12345, "Safety backup before restoring")
    safety = sandbox.state.backups[made["id"]]
    safety.completes_at = datetime.now(UTC) - timedelta(seconds=1)
    restored = completed_backup(sandbox)
    job = Job.objects.create(
        user=user,
        state=Job.State.DONE,
        server_id=12345,
        server_name="web-server-01",
        backup_id=restored.id,
        safety_backup_id=safety.id,
        finished_at=timezone.now(),
    )
    actor = Actor.for_job(user, job.pk)
    shown = {"server_id": 12345, "server_name": "web-server-01"}
    note(actor, Action.BACKUP_REQUESTED, backup_id=safety.id, **shown)
    note(actor, Action.RESTORE_REQUESTED, backup_id=restored.id, **shown)
    return job


def test_it_undoes_a_finished_job_without_its_own_quiet_time_holding_it(sandbox, olivia, operator):
    job = finished_job(sandbox, operator)
    safety = sandbox.state.backups[job.safety_backup_id]
    confirm = text(olivia.get(f"/servers/12345/restore/?backup_id={safety.id}"))
    assert f"Undo restore job {job.pk}</h1>" in confirm
    assert f"This undoes restore job {job.pk}, which restored this server from backup" in confirm
    assert f"backup {safety.id} is the safety backup the job took just before" in confirm
    assert "being restored already" not in confirm and 'name="anyway"' not in confirm
    undone = restore(olivia, safety)  # no "restore anyway"
    assert undone.status_code == 302
    sent = events("restore_requested")[-1]
    assert sent.backup_id == safety.id and sent.outcome == "accepted"
    assert sent.message.startswith(f"Undoes job {job.pk} of this server")
    # The undo is now the server's latest restore: another restore waits for its quiet time.
    again = restore(olivia, completed_backup(sandbox))
    assert again.status_code == 409


def test_it_undoes_a_finished_job_with_a_safety_backup_of_its_own(sandbox, olivia, operator):
    job = finished_job(sandbox, operator)
    safety = sandbox.state.backups[job.safety_backup_id]
    undone = restore(olivia, safety, safety="on")
    assert undone.status_code == 302
    undo_job = Job.objects.exclude(pk=job.pk).get()
    assert undone["Location"] == f"/jobs/{undo_job.pk}/"
    assert events("safe_restore_requested")[-1].message.startswith(f"Undoes job {job.pk}")


def test_it_still_refuses_the_undo_after_someone_elses_restore(sandbox, olivia, sam, operator):
    job = finished_job(sandbox, operator)
    safety = sandbox.state.backups[job.safety_backup_id]
    sam.get("/backups/")
    assert restore(sam, completed_backup(sandbox), anyway="on").status_code == 302
    confirm = text(olivia.get(f"/servers/12345/restore/?backup_id={safety.id}"))
    assert "This server is being restored already." in confirm and "Undo restore job" not in confirm
    assert restore(olivia, safety).status_code == 409
    # Nor is any other backup an undo of the job.
    other = [b for b in sandbox.state.backups.values() if b.server.id == 12345][1]
    assert restore(olivia, other).status_code == 409


def test_it_does_not_take_a_job_still_open_for_one_to_undo(sandbox, olivia, operator):
    job = finished_job(sandbox, operator)
    Job.objects.filter(pk=job.pk).update(state=Job.State.RESTORING, finished_at=None)
    safety = sandbox.state.backups[job.safety_backup_id]
    assert restore(olivia, safety).status_code == 409


def test_it_lists_the_restores_under_way_in_valid_html(sandbox, olivia, operator):
    from tests import html_check

    restore(olivia, completed_backup(sandbox), safety="on")
    pages = {url: text(olivia.get(url)) for url in ("/backups/", "/servers/")}
    assert all('class="messages restores-running"' in page for page in pages.values())
    assert html_check.problems(pages) == []
