"""The plan form: a schedule whose runs come closer than BACKUPSUI_PLAN_MIN_MINUTES is refused
with the reason (the shortest gap between its next runs, however irregular, in real time),
and the plan's dry-run mode reads differently from the form's Preview button."""

from datetime import UTC, datetime, timedelta

import pytest

from backupsui.plans.forms import PlanForm
from backupsui.plans.models import Plan
from backupsui.plans.schedule import shortest_gap
from tests.plans.test_views import FORM


def custom(schedule: str, zone: str = "UTC") -> PlanForm:
    form = PlanForm({**FORM, "preset": "custom", "schedule": schedule, "zone": zone})
    form.is_valid()
    return form


@pytest.mark.parametrize(
    ("schedule", "gap"),
    [
        ("* * * * *", 1),
        ("*/30 * * * *", 30),
        ("0,5 3 * * *", 5),  # daily, but twice five minutes apart
        ("59 1 * * 1", None),  # weekly: fine
        ("0 * * * *", None),  # hourly: the limit itself is allowed
    ],
)
def test_it_refuses_schedules_that_run_more_often_than_the_limit_saying_why(schedule, gap):
    errors = custom(schedule).errors.get("schedule", [])
    if gap is None:
        assert errors == []
    else:
        minutes = "minute" if gap == 1 else "minutes"
        assert errors == [
            "Runs of a plan must be at least 60 minutes apart; this schedule has two runs "
            f"{gap} {minutes} apart. Each run makes a manual backup of every server it covers, "
            "and those never expire by themselves."
        ]


def test_it_follows_the_limit_the_deployment_sets(settings):
    settings.BACKUPSUI_PLAN_MIN_MINUTES = 30
    assert custom("*/30 * * * *").errors.get("schedule") is None
    assert "at least 30 minutes apart" in custom("*/20 * * * *").errors["schedule"][0]
    settings.BACKUPSUI_PLAN_MIN_MINUTES = 360
    assert "at least 360 minutes apart" in custom("0 * * * *").errors["schedule"][0]


def test_it_measures_the_gaps_in_real_time_across_a_change_of_the_clocks():
    # 01:30 and 03:30 in New York are two hours apart, but one hour on the night the clocks
    # go forward from 02:00 to 03:00 (8 March 2026); a daily 01:30 is 23 hours apart then.
    after = datetime(2026, 3, 1, tzinfo=UTC)
    assert shortest_gap("30 1,3 * * *", "America/New_York", after) == timedelta(hours=1)
    assert shortest_gap("30 1 * * *", "America/New_York", after) == timedelta(hours=23)
    assert shortest_gap("30 1 * * *", "UTC", after) == timedelta(hours=24)


def test_it_calls_the_mode_a_dry_run_and_keeps_preview_for_the_button():
    form = PlanForm()
    modes = dict(form.fields["mode"].choices)
    assert modes[Plan.Mode.PREVIEW] == "Dry run: takes backups, deletes nothing"
    assert not any("Preview" in str(label) for label in modes.values())
