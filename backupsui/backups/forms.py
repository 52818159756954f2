from django import forms
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from .listing import DEFAULT_SORT, SORTS

ID_MAX = 2**63 - 1
DESCRIPTION_MAX = 255


class IdField(forms.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        super().__init__(**kwargs)
        self.validators.append(MaxValueValidator(ID_MAX))


class FilterForm(forms.Form):
    server_id = IdField(label=_("Server id"), required=False)
    backup_type = forms.ChoiceField(
        label=_("Type"),
        required=False,
        choices=[("", _("Any type")), ("manual", _("Manual")), ("automatic", _("Automatic"))],
    )
    status = forms.CharField(label=_("Status"), required=False, max_length=40)
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[(key, label) for key, (label, *_rest) in SORTS.items()],
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=10**6)

    def filters(self) -> dict:
        """The valid filters; an invalid one is dropped (its error shows beside it)."""
        data = self.cleaned_data if self.is_bound else {}
        return {
            "server_id": data.get("server_id"),
            "backup_type": data.get("backup_type") or None,
            "status": data.get("status") or "",
            "q": data.get("q") or "",
            "sort": data.get("sort") or DEFAULT_SORT,
            "page": data.get("page") or 1,
        }


class CreateBackupForm(forms.Form):
    server_id = IdField(
        label=_("Server id"), widget=forms.NumberInput(attrs={"list": "known-servers"})
    )
    description = forms.CharField(
        label=_("Description"), required=False, max_length=DESCRIPTION_MAX
    )


class RestoreForm(forms.Form):
    backup_id = IdField(widget=forms.HiddenInput)
    confirm = forms.CharField(
        label=_("Type the server's name to confirm"), max_length=255, strip=True
    )

    def __init__(self, *args, server_name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.server_name = server_name

    def clean_confirm(self):
        typed = self.cleaned_data["confirm"]
        if typed != self.server_name:
            raise forms.ValidationError(
                _("That is not the server's name. Type %(name)s exactly."),
                params={"name": self.server_name},
                code="mismatch",
            )
        return typed


class PollForm(forms.Form):
    watch = forms.CharField(required=False, max_length=4000)

    def watched(self) -> dict[int, int]:
        """backup id → server id, from 'server:backup' pairs separated by commas."""
        pairs = {}
        if not self.is_valid():
            return pairs
        for item in self.cleaned_data["watch"].split(",")[:200]:
            server, _sep, backup = item.partition(":")
            if server.isdigit() and backup.isdigit() and len(server) < 19 and len(backup) < 19:
                pairs[int(backup)] = int(server)
        return pairs
