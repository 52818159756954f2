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
    event = IdField(required=False, widget=forms.HiddenInput)
    job = IdField(required=False, widget=forms.HiddenInput)
    plan = IdField(required=False, widget=forms.HiddenInput)
    page = forms.IntegerField(required=False, min_value=1, max_value=10**6)

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("Until is before From."))
        return data

    def apply(self, events):
        """The events narrowed by every valid filter; an invalid one is ignored. Sign-ins
        are many and rarely wanted: shown when asked for (or when one event is asked for)."""
        self.is_valid()
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
        zone = timezone.get_current_timezone()
        if data.get("since"):
            events = events.filter(
                created_at__gte=datetime.combine(data["since"], time(), tzinfo=zone)
            )
        if data.get("until"):
            end = datetime.combine(data["until"], time(), tzinfo=zone) + timedelta(days=1)
            events = events.filter(created_at__lt=end)
        return events
