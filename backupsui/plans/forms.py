from datetime import timedelta
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, ngettext

from backupsui.words import Sentence

from .models import Plan
from .schedule import shortest_gap, valid

# The presets: how often, and the cron expression each makes from a time (and a weekday).
EVERY_6_HOURS, DAILY, WEEKLY, CUSTOM = "6h", "daily", "weekly", "custom"
PRESETS = [
    (DAILY, _("Daily at a time")),
    (WEEKLY, _("Weekly on a day at a time")),
    (EVERY_6_HOURS, _("Every 6 hours")),
    (CUSTOM, _("A cron expression")),
]
WEEKDAYS = [
    (1, _("Monday")),
    (2, _("Tuesday")),
    (3, _("Wednesday")),
    (4, _("Thursday")),
    (5, _("Friday")),
    (6, _("Saturday")),
    (0, _("Sunday")),
]
KEEPS = ("keep_last", "keep_hourly", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly")


def zones() -> list[tuple[str, str]]:
    return [(zone, zone) for zone in sorted(available_timezones())]


class PlanForm(forms.ModelForm):
    preset = forms.ChoiceField(label=_("How often"), choices=PRESETS, initial=DAILY)
    at = forms.TimeField(
        label=_("At"),
        required=False,
        initial="02:30",
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    weekday = forms.TypedChoiceField(
        label=_("On"), choices=WEEKDAYS, coerce=int, required=False, initial=0
    )
    schedule = forms.CharField(
        label=_("Cron expression"),
        required=False,
        max_length=100,
        help_text=_("Five fields: minute, hour, day of the month, month, day of the week."),
    )
    zone = forms.ChoiceField(label=_("Time zone"), choices=zones)
    server_ids = forms.CharField(
        label=_("Server ids"),
        required=False,
        help_text=_("For chosen servers: their ids, separated by commas."),
    )
    # Set when the person was told how many backups the rules would delete, and saves again.
    confirm_deletes = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Plan
        fields = [
            "name",
            "servers",
            "pattern",
            "zone",
            "description",
            *KEEPS,
            "mode",
        ]
        help_texts = {
            "pattern": _("For example db-* (for servers whose name matches)."),
            "description": _(
                "{plan} is the plan's name and {slot} the time of the run. Empty: both."
            ),
        }

    def __init__(self, *args, shown: set[int] | None = None, **kwargs):
        """`shown`: the servers the person's token has shown, when the form is to be saved
        (chosen servers must be among them); None for the previews."""
        super().__init__(*args, **kwargs)
        self.shown = shown
        self.fields["zone"].initial = self.instance.zone or settings.TIME_ZONE
        if self.instance.pk:
            self.initial.setdefault("preset", CUSTOM)
            self.initial.setdefault("schedule", self.instance.schedule)
            self.initial.setdefault("server_ids", ", ".join(map(str, self.instance.server_ids)))
        for name in KEEPS:
            self.fields[name].widget.attrs.update(min=0, max=10000)

    def clean_server_ids(self):
        raw = self.cleaned_data.get("server_ids") or ""
        try:
            ids = sorted({int(part) for part in raw.replace(" ", "").split(",") if part})
        except ValueError:
            raise forms.ValidationError(
                _("Server ids are whole numbers, separated by commas.")
            ) from None
        return ids

    def clean(self):
        data = super().clean()
        preset, at = data.get("preset"), data.get("at")
        if preset in (DAILY, WEEKLY) and at is None:
            self.add_error("at", _("Give the time of the run."))
        elif preset == DAILY:
            data["schedule"] = f"{at.minute} {at.hour} * * *"
        elif preset == WEEKLY:
            data["schedule"] = f"{at.minute} {at.hour} * * {data.get('weekday') or 0}"
        elif preset == EVERY_6_HOURS:
            data["schedule"] = "0 */6 * * *"
        if preset == CUSTOM or preset in (DAILY, WEEKLY, EVERY_6_HOURS):
            schedule = " ".join((data.get("schedule") or "").split())
            if not schedule or not valid(schedule):
                self.add_error("schedule", _("This is not a cron expression of five fields."))
            else:
                self._not_too_often(schedule, data.get("zone") or settings.TIME_ZONE)
            data["schedule"] = schedule
        if data.get("servers") == Plan.Servers.PATTERN and not data.get("pattern"):
            self.add_error("pattern", _("Give the pattern of the servers' names."))
        if data.get("servers") == Plan.Servers.CHOSEN and not data.get("server_ids"):
            self.add_error("server_ids", _("Give at least one server id."))
        elif data.get("servers") == Plan.Servers.CHOSEN and self.shown is not None:
            # A plan covers only servers of the account of the person who saves it.
            unknown = [i for i in data["server_ids"] if i not in self.shown]
            if unknown:
                self.add_error(
                    "server_ids",
                    _("Your API token does not show these servers: %(ids)s.")
                    % {"ids": ", ".join(map(str, unknown))},
                )
        return data

    def _not_too_often(self, schedule: str, zone: str) -> None:
        """Refuses a schedule whose slots come closer than BACKUPSUI_PLAN_MIN_MINUTES: each
        run makes a manual backup of every server it covers, which never expires by itself."""
        least = settings.BACKUPSUI_PLAN_MIN_MINUTES
        gap = shortest_gap(schedule, zone, timezone.now())
        if gap is not None and gap < timedelta(minutes=least):
            minutes = max(1, int(gap.total_seconds() // 60))
            self.add_error(
                "schedule",
                ngettext(
                    "Runs of a plan must be at least %(least)s minutes apart; this schedule "
                    "has two runs %(gap)s minute apart. Each run makes a manual backup of "
                    "every server it covers, and those never expire by themselves.",
                    "Runs of a plan must be at least %(least)s minutes apart; this schedule "
                    "has two runs %(gap)s minutes apart. Each run makes a manual backup of "
                    "every server it covers, and those never expire by themselves.",
                    minutes,
                )
                % {"gap": minutes, "least": least},
            )

    def save(self, commit=True, by=None):
        """The plan; `by`: who saves it (named as who paused it, when they did)."""
        plan = super().save(commit=False)
        plan.schedule = self.cleaned_data["schedule"]
        plan.server_ids = self.cleaned_data.get("server_ids") or []
        was = self.initial.get("mode") if self.instance.pk else None
        if plan.mode != Plan.Mode.PAUSED:
            plan.paused_reason, plan.paused_for, plan.resumes_as = "", "", ""
            if "mode" in self.changed_data and self.instance.pk:
                plan.last_slot = timezone.now()  # taken up again: what it missed is not due
        elif was != Plan.Mode.PAUSED:
            plan.paused_for = Plan.PAUSED_BY_PERSON
            plan.resumes_as = was or Plan.Mode.ACTIVE
            name = by.get_username() if by is not None else ""
            plan.paused_reason = Sentence(gettext_noop("Paused by %(name)s."), name=name).dumps()
        if commit:
            plan.save()
        return plan
