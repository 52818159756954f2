"""Names that cannot lie on every page: a server name and a description from the API holding
a right-to-left override, markup and 3,000 characters go through every page that shows one
(the audit trail, jobs and bulk pages, plans, the report, the restore and delete
confirmations, the alerts page, the messages after a change, the running jobs' banner and the
token's removal): escaped, the override written out as [U+202E], each name isolated in a
<bdi> and cut (the whole of it, to a bound, in its title), in English and in Samoan."""

import re

import pytest
import responses
from django.utils import timezone

from backupsui.accounts.identity import CONFIRMED_AT
from backupsui.accounts.models import Preference
from backupsui.alerts.models import Delivery
from backupsui.audit.models import Action, Outcome
from backupsui.audit.recorder import note, start
from backupsui.backups import names
from backupsui.bidi import shown_name
from backupsui.jobs.models import BulkItem, BulkRequest, Job
from backupsui.plans.models import Plan, PlanBackup, PlanRun
from backupsui.words import Sentence
from tests.backups.test_names import API, HOSTILE, NOW, SERVER, listing
from tests.helpers import text

WRITTEN_OUT = "[U+202E]gpj.exe"


@pytest.fixture
def hostile_world(operator, settings):
    """The API's list holds the hostile name and description; the panel's own records (the
    audit trail, jobs, bulk requests, a plan's run, an alert sent) hold them as the API gave
    them."""
    settings.BACKUPS_API_URL = API
    held = HOSTILE[:255]
    shown = {"server_id": SERVER, "server_name": held, "backup_description": held}
    note(None, Action.BACKUP_DELETED, Outcome.ACCEPTED, actor_username="olivia", **shown)
    start(None, Action.BACKUP_REQUESTED, actor_username="olivia", **shown)  # not settled
    jobs = {
        "done": Job.objects.create(
            user=operator, server_id=SERVER, server_name=held, backup_id=100,
            state=Job.State.DONE, safety_backup_id=101, finished_at=timezone.now(),
        ),
        "open": Job.objects.create(
            user=operator, server_id=SERVER, server_name=held, backup_id=100,
            state=Job.State.WAITING,
        ),
    }  # fmt: skip
    bulk = BulkRequest.objects.create(user=operator, description=held)
    BulkItem.objects.create(bulk=bulk, server_id=SERVER, server_name=held, backup_id=104)
    plan = Plan.objects.create(name="Nightly", owner=operator, schedule="0 3 * * *")
    PlanBackup.objects.create(plan=plan, server_id=SERVER, backup_id=102, slot=NOW)
    PlanRun.objects.create(
        plan=plan,
        slot=NOW,
        outcome=PlanRun.Outcome.DONE,
        skipped=[{"server_id": SERVER, "server_name": held, "why": "a backup is running"}],
    )
    subject = Sentence("Backup %(id)s of %(server)s failed.", id=100, server=shown_name(HOSTILE))
    Delivery.objects.create(
        user=operator, channel="email", kind="backup_failed", subject=subject.dumps(),
        ok=True, outcome=Sentence("Delivered.").dumps(),
    )  # fmt: skip
    with responses.RequestsMock(assert_all_requests_are_fired=False) as api:
        api.get(API + "/backups/", json=listing(60))
        created = {**listing(1)["results"][0], "id": 999, "status": "in_progress"}
        api.post(API + "/backups/", status=201, json={**created, "message": "Started."})
        yield {"jobs": jobs, "bulk": bulk, "plan": plan}


def pages_of(world) -> dict[str, str]:
    jobs, bulk, plan = world["jobs"], world["bulk"], world["plan"]
    return {
        "audit trail": "/audit/",
        "jobs": "/jobs/",
        "a job": f"/jobs/{jobs['done'].pk}/",
        "bulk results": f"/jobs/bulk/{bulk.pk}/",
        "bulk backup": f"/servers/backup/?server_id={SERVER}",
        "bulk delete": "/backups/delete/?backup_id=100&backup_id=101&backup_id=103",
        "a plan": f"/plans/{plan.pk}/",
        "a plan's form": f"/plans/{plan.pk}/edit/",
        "report": "/reports/",
        "restore": f"/servers/{SERVER}/restore/?backup_id=100",
        "delete": "/backups/100/delete/",
        "mute": f"/servers/{SERVER}/mute/",
        "alerts": "/account/alerts/",
        "token removal": "/account/token/remove/",
    }


def lies(body: str) -> list[str]:
    """What on a page lets a name lie or swamp it. The restore's name to type is whole (it
    is typed as the page shows it), its controls written out as everywhere."""
    body = re.sub(r'<code class="copy">.*?</code>', "", body, flags=re.S)
    found = []
    if "\u202e" in body:
        found.append("a right-to-left override left as it came")
    if "<script>alert" in body or "<img src=x" in body:
        found.append("the name's markup taken for the page's")
    if "A" * (names.TITLE_MOST + 1) in body:
        found.append("a name shown whole, not cut")
    if re.search(r"&amp;(lt|gt|quot|#x27|amp);", body):
        found.append("escaped twice")
    return found


@pytest.mark.parametrize("language", ["en", "sm"])
def test_it_shows_a_hostile_name_on_every_page_isolated_written_out_and_cut(
    hostile_world, operator, operator_client, language
):
    Preference.objects.create(user=operator, language=language)
    session = operator_client.session
    session[CONFIRMED_AT] = timezone.now().timestamp()
    session.save()
    problems = {}
    for page, url in pages_of(hostile_world).items():
        response = operator_client.get(url)
        assert response.status_code == 200, (page, response.status_code)
        body = text(response)
        found = lies(body)
        if WRITTEN_OUT not in body:
            found.append("the name not shown")
        elif page != "alerts" and not re.search(r"<bdi[^>]*>\[U\+202E\]gpj\.exe", body):
            found.append("the name not isolated")
        if found:
            problems[page] = found
    assert problems == {}


def test_it_names_a_hostile_server_in_the_messages_after_a_change(
    hostile_world, operator, operator_client
):
    made = operator_client.post("/backups/new/", {"server_id": SERVER, "description": "x"})
    assert made.status_code == 302
    page = text(operator_client.get("/audit/"))
    message = re.search(r'<li class="msg msg-success">(.*?)</li>', page, re.S)[1]
    assert re.search(r"Backup 999 of <bdi title=\"[^\"]+\">\[U\+202E\]gpj\.exe", message)
    assert lies(message) == []
    muted = operator_client.post(f"/servers/{SERVER}/mute/", {"hours": "4"})
    assert muted.status_code == 302
    said = text(operator_client.get(muted["Location"]))
    message = re.search(r'<li class="msg msg-success">(.*?)</li>', said, re.S)[1]
    assert "<bdi" in message and WRITTEN_OUT in message and lies(message) == []
