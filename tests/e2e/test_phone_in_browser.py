"""Every page on a 375 px phone, as each role finds them (a crawler follows their links), in
English and in Samoan, light and dark: nothing wider than the screen (no sideways scroll;
wide tables scroll inside their own wrap)."""

import re
from html import unescape
from urllib.parse import parse_qsl, urldefrag, urljoin, urlsplit

import pytest
from django.utils import timezone

from backupsui.accounts.models import Preference
from backupsui.audit.actors import Actor
from backupsui.audit.models import Action, Outcome
from backupsui.audit.recorder import note
from backupsui.jobs.models import BulkItem, BulkRequest, Job
from backupsui.plans.models import KeptBackup, Plan, PlanBackup, PlanRun
from tests.conftest import OPERATOR_TOKEN, SUPPORT_TOKEN, make_user
from tests.e2e.conftest import sign_in
from tests.helpers import FormClient, completed_backup, text

PHONE = {"width": 375, "height": 740}
STARTS = [
    "/backups/",
    "/servers/",
    "/jobs/",
    "/plans/",
    "/plans/new/",
    "/audit/",
    "/reports/",
    "/account/alerts/",
    "/account/token/",
    "/accounts/2fa/",
]
NOT_PAGES = ("/accounts/logout/", "/static/", "export.csv", "/backups/poll/", "/account/language/")
TOO_WIDE = """() => {
  const width = window.innerWidth;
  if (document.documentElement.scrollWidth <= width) { return []; }
  const wide = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 0.5 && !el.closest(".table-wrap *")) {
      const named = typeof el.className === "string" && el.className ?
        "." + el.className.split(" ").join(".") : "";
      wide.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + named + " " +
                Math.round(box.right) + "px");
    }
  }
  return [document.documentElement.scrollWidth + "px wide"].concat(wide.slice(0, 4));
}"""


@pytest.fixture
def busy_world(world, people, django_user_model):
    """A panel with something on every page: a kept backup, restore jobs (one done, one
    running), a bulk request, a plan with a run, audit events, and a long name."""
    olivia = people["olivia"]
    world.state.servers[12347].name = "cache-server-03-in-the-old-datacentre-hall-b"
    backup = completed_backup(world)
    KeptBackup.objects.create(backup_id=backup.id, server_id=12345, marked_by=olivia)
    Job.objects.create(
        user=olivia, server_id=12345, server_name="web-server-01", backup_id=backup.id,
        state=Job.State.DONE, safety_backup_id=backup.id, finished_at=timezone.now(),
    )  # fmt: skip
    Job.objects.create(
        user=olivia, server_id=12346, server_name="db-server-02", backup_id=backup.id,
        state=Job.State.WAITING,
    )  # fmt: skip
    bulk = BulkRequest.objects.create(user=olivia, description="before the upgrade")
    BulkItem.objects.create(bulk=bulk, server_id=12345, server_name="web-server-01")
    plan = Plan.objects.create(name="Nightly", owner=olivia, schedule="0 3 * * *")
    PlanBackup.objects.create(plan=plan, server_id=12345, backup_id=backup.id, slot=timezone.now())
    PlanRun.objects.create(plan=plan, slot=timezone.now(), outcome=PlanRun.Outcome.DONE, created=3)
    for action in (Action.BACKUP_REQUESTED, Action.RESTORE_REQUESTED, Action.BACKUP_DELETED):
        note(
            Actor.of(olivia), action, Outcome.ACCEPTED, server_id=12347,
            server_name=world.state.servers[12347].name, backup_id=backup.id,
            backup_description="before the upgrade of the database to its next version",
        )  # fmt: skip
    return world


def shape(url: str) -> str:
    """Pages alike but for their ids and filters' values count once."""
    parts = urlsplit(url)
    keys = sorted({key for key, _value in parse_qsl(parts.query)})
    return re.sub(r"\d+", "N", parts.path) + "?" + "&".join(keys)


def pages_of(user) -> list[str]:
    """The pages the person finds by following links, from the menu's pages, one of each
    shape."""
    client = FormClient()
    client.force_login(user)
    found, shapes, frontier = [], set(), list(STARTS)
    for _depth in range(3):
        following = []
        for url in frontier:
            if shape(url) in shapes or len(found) >= 60:
                continue
            shapes.add(shape(url))
            response = client.get(url)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            found.append(url)
            for link in re.findall(r'href="([^"#][^"]*)"', text(response)):
                absolute = urldefrag(urljoin(url, unescape(link))).url
                parts = urlsplit(absolute)
                if parts.netloc or any(part in absolute for part in NOT_PAGES):
                    continue
                following.append(parts.path + (f"?{parts.query}" if parts.query else ""))
        frontier = following
    return found


@pytest.mark.parametrize(
    ("role", "token"),
    [("Operators", OPERATOR_TOKEN), ("Support", SUPPORT_TOKEN), ("Auditors", SUPPORT_TOKEN)],
)
def test_it_fits_every_page_on_a_phone_in_both_languages_light_and_dark(
    watched, live_server, busy_world, django_user_model, role, token
):
    page = watched
    page.set_viewport_size(PHONE)
    wide = {}
    for language in ("en", "sm"):
        user = make_user(django_user_model, f"{role.lower()}-{language}", role, token)
        Preference.objects.create(user=user, language=language)
        urls = pages_of(user)
        assert len(urls) >= 8, urls
        page.context.clear_cookies()
        sign_in(page, live_server.url, user.username)
        page.wait_for_url(re.compile(r"/(backups|audit|account)/"))
        for url in urls:
            page.goto(live_server.url + url)
            for scheme in ("light", "dark"):
                page.emulate_media(color_scheme=scheme)
                found = page.evaluate(TOO_WIDE)
                if found:
                    wide[f"{language} {scheme} {url}"] = found
        page.emulate_media(color_scheme="light")
    assert wide == {}, "\n".join(f"{where}: {found}" for where, found in wide.items())
