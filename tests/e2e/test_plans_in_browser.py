"""A plan made in the browser: the form's previews as one types, Run now three times (a real
worker), the backups in the list with the plan's name, the oldest deleted by keep-last 2, the
create and the delete with the rule in the audit trail; axe on the plan pages, light and
dark."""

import re
import time

import pytest
from playwright.sync_api import expect

from backupsui.audit.models import Action, AuditEvent
from backupsui.plans.models import Plan, PlanRun
from tests.e2e.conftest import sign_in
from tests.stack import Workers


def wait_for(condition, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.1)
    raise AssertionError("the condition did not hold in time")


def test_it_makes_a_plan_and_runs_it_until_retention_deletes_the_oldest(
    watched, live_server, people, world
):
    page = watched
    workers = Workers(world.url)
    workers.start()
    try:
        sign_in(page, live_server.url, "olivia")
        page.get_by_role("link", name="Plans").click()
        page.get_by_role("link", name="New plan").click()
        page.get_by_label("Name", exact=True).fill("Browser plan")
        page.get_by_label("Servers", exact=True).select_option("pattern")
        page.get_by_label("Name pattern").fill("web-*")
        page.get_by_label("Time zone").select_option("Pacific/Apia")
        page.get_by_label("keep-last").fill("2")
        # The previews follow what is typed: the next runs in the chosen zone.
        runs = page.locator("#plan-previews .next-runs li")
        expect(runs).to_have_count(5)
        expect(runs.first).to_contain_text("02:30")
        expect(runs.first).to_contain_text("+13")
        expect(page.locator("#plan-previews")).to_contain_text("The next 12 weeks")
        page.get_by_role("button", name="Save the plan").click()
        expect(page.get_by_role("heading", name="Backup plan Browser plan")).to_be_visible()
        plan = Plan.objects.get(name="Browser plan")
        # Each run lists, asks for one backup of web-server-01 and prunes; the sandbox
        # completes a backup at once here, so a run's own backup counts: the third run holds
        # three and keep-last 2 lets the oldest go.
        world.state.config.completion_delay = 0
        for number in range(1, 4):
            page.get_by_role("button", name="Run now").click()
            wait_for(
                lambda n=number: (
                    PlanRun.objects.filter(plan=plan, finished__isnull=False).count() >= n
                )
            )
            newest = plan.backups.order_by("-backup_id").first().backup_id
            wait_for(
                lambda b=newest: world.state.backups[b].status(world.state.clock()) == "completed"
            )
        page.reload()
        expect(page.locator("tbody tr[id^=run-]")).to_have_count(3)
        made = list(plan.backups.order_by("backup_id").values_list("backup_id", flat=True))
        assert len(made) == 3
        oldest = made[0]
        assert oldest not in world.state.backups
        assert all(backup_id in world.state.backups for backup_id in made[1:])
        page.goto(f"{live_server.url}/backups/?server_id=12345")
        for backup_id in made[1:]:
            expect(page.locator(f"#backup-{backup_id}")).to_contain_text("plan Browser plan")
        expect(page.locator(f"#backup-{oldest}")).to_have_count(0)
        page.goto(f"{live_server.url}/audit/?plan={plan.pk}")
        deleted = AuditEvent.objects.get(action=Action.BACKUP_DELETED, plan_id=plan.pk)
        assert deleted.backup_id == oldest and deleted.message == "not kept: beyond keep-last 2"
        expect(page.locator(f"#event-{deleted.pk}")).to_contain_text("Backup deleted")
        expect(page.locator(f"#event-{deleted.pk}")).to_contain_text("not kept: beyond keep-last 2")
        requested = AuditEvent.objects.filter(action=Action.BACKUP_REQUESTED, plan_id=plan.pk)
        assert sorted(requested.values_list("backup_id", flat=True)) == made
        created = requested.get(backup_id=oldest)
        expect(page.locator(f"#event-{created.pk}")).to_contain_text("Backup requested")
        expect(page.locator(f"#event-{created.pk}")).to_contain_text("Browser plan")
    finally:
        workers.stop()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_it_has_no_serious_accessibility_violation_on_the_plan_pages(
    watched, live_server, people, world, axe, scheme
):
    page = watched
    page.emulate_media(color_scheme=scheme)
    plan = Plan.objects.create(owner=people["olivia"], name="Checked", keep_daily=7)
    sign_in(page, live_server.url, "olivia")
    found = {}
    for name, path in {
        "list": "/plans/",
        "new": "/plans/new/",
        "plan": f"/plans/{plan.pk}/",
        "edit": f"/plans/{plan.pk}/edit/",
        "delete": f"/plans/{plan.pk}/delete/",
    }.items():
        page.goto(live_server.url + path)
        found[name] = axe(page)
    assert found == {name: [] for name in found}
    assert re.search(r"/plans/\d+/delete/", page.url)


# On a phone: the plans' and the report's pages fit 375 px, in both languages --------------

WIDER_THAN_THE_PAGE = """() => {
  const found = [];
  const page = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > page) {
    found.push("the page scrolls sideways: " + document.documentElement.scrollWidth);
  }
  document.querySelectorAll("main table, main select, main .table-wrap").forEach((el) => {
    const box = el.getBoundingClientRect();
    if (box.right > page + 0.5) {
      found.push(`${el.tagName}.${el.className} ${Math.round(box.right)}`);
    }
  });
  document.querySelectorAll("main table").forEach((table) => {
    if (!table.parentElement.classList.contains("table-wrap")) {
      found.push("unwrapped " + table.className);
    }
  });
  // A cell whose words (or label) run out of it, over the next one.
  document.querySelectorAll("main table tbody td, main table tbody th").forEach((cell) => {
    if (cell.scrollWidth > cell.clientWidth + 1) {
      found.push(`${cell.dataset.label || cell.tagName} runs out of its cell`);
    }
  });
  return found;
}"""


def planned_world(owner, world) -> dict[str, int]:
    """A plan with runs that made and deleted backups, a paused plan and one whose chosen
    server is gone; their pages and the report's to look at."""
    from datetime import UTC, datetime

    from backupsui.plans import runner
    from backupsui.words import Sentence

    world.state.config.completion_delay = 0
    plan = Plan.objects.create(
        owner=owner, name="Nightly web", servers="chosen", server_ids=[12345, 12346], keep_last=1
    )
    for _ in range(3):
        runner.carry_out(PlanRun.objects.create(plan=plan, slot=datetime.now(UTC), now=True).pk)
    held = Plan.objects.create(
        owner=owner,
        name="Held",
        pattern="db-*",
        servers="pattern",
        mode=Plan.Mode.PAUSED,
        paused_for=Plan.PAUSED_BY_PERSON,
        paused_reason=Sentence("Paused by %(name)s.", name="olivia").dumps(),
    )
    gone = Plan.objects.create(owner=owner, name="Gone", servers="chosen", server_ids=[99999])
    runner.carry_out(PlanRun.objects.create(plan=gone, slot=datetime.now(UTC), now=True).pk)
    return {"plan": plan.pk, "held": held.pk, "gone": gone.pk}


@pytest.mark.parametrize("language", ["en", "sm"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_it_fits_the_plans_and_the_report_on_a_phone(
    watched, live_server, people, world, language, scheme
):
    from backupsui.accounts.models import Preference

    ids = planned_world(people["olivia"], world)
    Preference.objects.create(user=people["olivia"], language=language)
    page = watched
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in(page, live_server.url, "olivia")
    found = {}
    for path in (
        "/plans/",
        f"/plans/{ids['plan']}/",
        f"/plans/{ids['held']}/",
        f"/plans/{ids['gone']}/",
        "/plans/new/",
        f"/plans/{ids['plan']}/edit/",
        "/reports/",
    ):
        page.goto(live_server.url + path)
        expect(page.locator("html")).to_have_attribute("lang", language)
        found[path] = page.evaluate(WIDER_THAN_THE_PAGE)
    assert found == {path: [] for path in found}
    # The report names servers as they are, not as its column headings are written.
    page.goto(f"{live_server.url}/reports/")
    name = page.locator("#report-12345 th[scope=row] a")
    assert name.evaluate("a => getComputedStyle(a).textTransform") == "none"
    assert name.inner_text() == "web-server-01"


def test_it_resumes_a_paused_plan_from_its_page(watched, live_server, people, world, axe):
    ids = planned_world(people["olivia"], world)
    page = watched
    sign_in(page, live_server.url, "olivia")
    page.goto(f"{live_server.url}/plans/{ids['held']}/")
    expect(page.get_by_role("heading", name="Paused")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Paused by olivia.")
    expect(page.get_by_role("heading", name="Next runs")).to_have_count(0)
    assert axe(page) == []
    page.get_by_role("button", name="Resume").click()
    expect(page.get_by_role("heading", name="Next runs")).to_be_visible()
    expect(page.get_by_role("heading", name="Paused")).to_have_count(0)
    assert Plan.objects.get(pk=ids["held"]).mode == Plan.Mode.ACTIVE
    page.goto(f"{live_server.url}/plans/{ids['gone']}/")
    expect(page.locator("main")).to_contain_text("needs attention")
    expect(page.locator("main")).to_contain_text("#99999")
    assert axe(page) == []
