from django import forms
from django.utils.translation import gettext_lazy as _

from backupsui.ids import IdField

from .models import Job

STATES = {
    "": _("All"),
    "running": _("Running"),
    "done": _("Restore sent"),
    "stopped": _("Stopped or cancelled"),
}


class JobFilterForm(forms.Form):
    """The jobs page's filters; a bad value is ignored (the filter is simply not applied)."""

    state = forms.ChoiceField(label=_("State"), choices=STATES.items(), required=False)
    server_id = IdField(label=_("Server id"), required=False)
    user = forms.CharField(label=_("Requested by"), max_length=150, required=False)
    page = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def select(self, jobs):
        self.is_valid()  # the fields that are valid still filter
        wanted = {"state": "", "server_id": None, "user": "", **self.cleaned_data}
        if wanted["state"] == "running":
            jobs = jobs.filter(state__in=Job.OPEN)
        elif wanted["state"] == "done":
            jobs = jobs.filter(state=Job.State.DONE)
        elif wanted["state"] == "stopped":
            jobs = jobs.filter(state__in=(Job.State.FAILED, Job.State.CANCELLED))
        if wanted["server_id"]:
            jobs = jobs.filter(server_id=wanted["server_id"])
        if wanted["user"]:
            jobs = jobs.filter(user__username__iexact=wanted["user"].strip())
        return jobs
