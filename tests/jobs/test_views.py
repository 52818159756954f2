"""The jobs page (/jobs/: running and past jobs, who, server, when, state, filtered, for
everyone who may see them), a job's times and what it offers once it ended, and the context
a restore confirmation gives (how old the backup is, a newer one, one being taken)."""

import re
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from backupsui.jobs.models import Job
from tests.conftest import OTHER_TOKEN, make_user
from tests.helpers import FormClient, text

State = Job.State


def signed_in(user) -> FormClient:
    client = FormClient()
    client.force_login(user)
    return client


def job_of(user, state, server_id=12345, **extra) -> Job:
    return Job.objects.create(
        user=user,
        state=state,
        server_id=server_id,
        server_name={12345: "web-server-01", 12346: "db-server-02"}.get(server_id, "x"),
        backup_id=7,
        **extra,
    )


@pytest.fixture
def jobs(operator, support):
    now = timezone.now()
    return {
        "running": job_of(operator, State.WAITING, safety_requested_at=now),
        "done": job_of(support, State.DONE, 12346, safety_backup_id=901, finished_at=now),
        "cancelled": job_of(
            operator, State.CANCELLED, 12346, safety_backup_id=902, finished_at=now
        ),
    }


def ids_on(page: str) -> set[int]:
    return {int(i) for i in re.findall(r'<tr id="job-(\d+)"', page)}


def test_it_lists_the_jobs_a_person_may_see_and_filters_them(
    sandbox, jobs, operator, support, django_user_model
):
    olivia, sam = signed_in(operator), signed_in(support)
    every = {job.pk for job in jobs.values()}
    assert ids_on(text(olivia.get("/jobs/"))) == every  # operators see everyone's
    page = text(sam.get("/jobs/"))
    assert ids_on(page) == {jobs["done"].pk}  # his own, until his token shows him the servers
    sam.get("/backups/")
    assert ids_on(text(sam.get("/jobs/"))) == every  # the same account's
    assert ids_on(text(sam.get("/jobs/?state=running"))) == {jobs["running"].pk}
    assert ids_on(text(sam.get("/jobs/?state=stopped"))) == {jobs["cancelled"].pk}
    assert ids_on(text(sam.get("/jobs/?server_id=12346&user=olivia"))) == {jobs["cancelled"].pk}
    assert ids_on(text(sam.get("/jobs/?server_id=nope&state=done"))) == {jobs["done"].pk}
    otto = signed_in(make_user(django_user_model, "otto", "Support", OTHER_TOKEN))
    otto.get("/backups/")
    assert ids_on(text(otto.get("/jobs/"))) == set()
    row = text(olivia.get("/jobs/?state=done"))
    assert "sam" in row and "db-server-02" in row and "Restore sent" in row


def test_it_offers_the_kept_safety_backup_and_the_undo(sandbox, jobs, operator, support):
    olivia, sam = signed_in(operator), signed_in(support)
    cancelled = text(olivia.get(f"/jobs/{jobs['cancelled'].pk}/"))
    assert "Safety backup 902 was kept: a manual backup, which never expires by itself." in (
        cancelled
    )
    assert 'href="/backups/902/delete/"' in cancelled
    done = text(sam.get(f"/jobs/{jobs['done'].pk}/"))
    assert 'href="/servers/12346/restore/?backup_id=901"' in done
    assert "Restore from the safety backup" in done
    assert "/backups/901/delete/" not in done  # support may not delete
    running = text(olivia.get(f"/jobs/{jobs['running'].pk}/"))
    assert "Running for" in running and "the job gives up" in running
    assert "Restore from the safety backup" not in running and "was kept" not in running


def test_it_offers_undo_and_delete_only_to_the_people_of_the_jobs_account(
    sandbox, jobs, other_operator
):
    oscar = signed_in(other_operator)
    oscar.get("/backups/")
    for name, offer in (("cancelled", "/backups/902/delete/"), ("done", "/servers/12346/restore/")):
        page = oscar.get(f"/jobs/{jobs[name].pk}/")
        assert page.status_code == 200  # an Operator reads every job's story ...
        assert "Safety backup" in text(page) and offer not in text(page)  # ... acts on none


def test_it_says_how_old_the_backup_is_and_what_is_newer_or_running(sandbox, operator):
    olivia = signed_in(operator)
    now = datetime.now(UTC)
    done = sorted(
        (
            b
            for b in sandbox.state.backups.values()
            if b.server.id == 12345 and b.status(now) == "completed"
        ),
        key=lambda b: b.created_at,
    )
    oldest, newest = done[0], done[-1]
    page = text(olivia.get(f"/servers/12345/restore/?backup_id={oldest.id}"))
    assert "This backup was taken" in page and "ago." in page
    assert f"A newer completed backup of this server exists: backup {newest.id}, from" in page
    assert f'href="/servers/12345/restore/?backup_id={newest.id}"' in page
    assert "is being taken now" not in page
    sandbox.state.config.completion_delay = 600
    olivia.post("/backups/new/", {"server_id": 12345})
    running = max(sandbox.state.backups)
    page = text(olivia.get(f"/servers/12345/restore/?backup_id={newest.id}"))
    assert "A newer completed backup" not in page
    assert f"Backup {running} of this server is being taken now" in page


def test_it_says_a_running_job_will_stop_before_the_token_is_removed(sandbox, jobs, operator):
    olivia = signed_in(operator)
    page = text(olivia.get("/account/token/remove/"))
    assert "Without a token it stops at its next step, and the restore is not sent" in page
    assert f'href="/jobs/{jobs["running"].pk}/"' in page
    assert f'href="/jobs/{jobs["cancelled"].pk}/"' not in page  # ended: nothing to stop
    jobs["running"].state = State.DONE
    jobs["running"].save()
    assert "Without a token" not in text(olivia.get("/account/token/remove/"))


def test_it_says_whose_jobs_the_page_lists(sandbox, operator, support, auditor):
    everyone = "Restores with a safety backup first: everyone's, of every account"
    theirs = "yours, and those of the servers your API token shows you"
    for person in (operator, auditor):
        page = text(signed_in(person).get("/jobs/"))
        assert everyone in page and theirs not in page
    page = text(signed_in(support).get("/jobs/"))
    assert theirs in page and everyone not in page


def test_it_says_a_job_just_started_has_run_for_less_than_a_minute(sandbox, jobs, operator):
    olivia = signed_in(operator)
    page = text(olivia.get(f"/jobs/{jobs['running'].pk}/"))
    assert "Running for less than a minute." in page and "0\xa0minutes" not in page
    Job.objects.filter(pk=jobs["running"].pk).update(
        created_at=timezone.now() - timezone.timedelta(minutes=3)
    )
    assert "Running for 3\xa0minutes." in text(olivia.get(f"/jobs/{jobs['running'].pk}/"))
