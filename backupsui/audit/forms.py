from datetime import date, datetime, time, timedelta

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backupsui.ids import IdField

from .models import SIGN_INS, Action, Outcome

# Dates outside these years mean nothing here and overflow date arithmetic at the edges.
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9998, 12, 31)


class DayField(forms.DateField):
    widget = forms.DateInput(attrs={"type": "date"})

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators += [MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)]


class AuditFilterForm(forms.Form):
    user = forms.CharField(
        label=_("User"),
        required=False,
        max_length=150,
        help_text=_("Any part of the name."),
    )
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("Any action")), *Action.choices]
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), required=False, choices=[("", _("Any outcome")), *Outcome.choices]
    )
    server_id = IdField(label=_("Server id"), required=False)
    since = DayField(label=_("From"), required=False)
    until = DayField(label=_("Until"), required=False)
    signins = forms.BooleanField(label=_("Show sign-ins"), required=False)
    event = IdField(label=_("Event"), required=False, widget=forms.HiddenInput)
    job = IdField(label=_("Job"), required=False, widget=forms.HiddenInput)
    plan = IdField(label=_("Backup plan"), required=False, widget=forms.HiddenInput)
    run = IdField(label=_("Backup plan run"), required=False, widget=forms.HiddenInput)
    page = forms.IntegerField(label=_("Page"), required=False, min_value=1, max_value=10**6)

    def __init__(self, data=None, *args, **kwargs):
        # The From field's own word works in an address too: ?from=2026-12-01.
        if data is not None and "from" in data and "since" not in data:
            data = data.copy()
            data["since"] = data["from"]
        super().__init__(data, *args, **kwargs)

    @property
    def refused(self) -> bool:
        """Whether a filter cannot be read: then no event is shown (never all of them), and
        the page says which and why. A page number that is not one only shows the first."""
        self.is_valid()
        return any(name != "page" for name in self.errors)

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("Until is before From."))
        return data

    def apply(self, events):
        """The events narrowed by the filters; none when a filter cannot be read. Sign-ins
        are many and rarely wanted: shown when asked for (or when one event is asked for)."""
        if self.refused:
            return events.none()
        data = getattr(self, "cleaned_data", {})
        if data.get("user"):
            events = events.filter(actor_username__icontains=data["user"])
        if data.get("action"):
            events = events.filter(action=data["action"])
        elif (
            not data.get("signins")
            and not data.get("event")
            and not data.get("job")
            and not data.get("plan")
            and not data.get("run")
        ):
            events = events.exclude(action__in=SIGN_INS)
        if data.get("outcome"):
            events = events.filter(outcome=data["outcome"])
        if data.get("server_id"):
            events = events.filter(server_id=data["server_id"])
        if data.get("event"):
            events = events.filter(pk=data["event"])
        if data.get("job"):
            events = events.filter(job_id=data["job"])
        if data.get("plan"):
            events = events.filter(plan_id=data["plan"])
        if data.get("run"):
            events = events.filter(plan_run_id=data["run"])
        zone = timezone.get_current_timezone()
        if data.get("since"):
            events = events.filter(
                created_at__gte=datetime.combine(data["since"], time(), tzinfo=zone)
            )
        if data.get("until"):
            end = datetime.combine(data["until"], time(), tzinfo=zone) + timedelta(days=1)
            events = events.filter(created_at__lt=end)
        return events
