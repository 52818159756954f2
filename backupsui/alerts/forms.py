from django import forms
from django.utils.translation import gettext_lazy as _

from . import chat
from .delivery import webhook_refusal
from .models import Subscription


class SubscriptionForm(forms.ModelForm):
    class Meta:
        model = Subscription
        fields = ["on_failure", "on_bad", "on_odd", "by_email", "webhook_url"]
        labels = {
            "on_failure": _("Tell me when a backup fails"),
            "on_bad": _("Tell me when a server turns bad (no completed backup for too long)"),
            "on_odd": _(
                "Tell me when a backup's size is odd (far from its server's usual size, or "
                "exactly the same as the five before it)"
            ),
            "by_email": _("By email"),
            "webhook_url": _("By a webhook (a JSON POST to this URL)"),
        }
        widgets = {"webhook_url": forms.URLInput(attrs={"placeholder": "https://…"})}

    def clean_webhook_url(self):
        url = self.cleaned_data["webhook_url"].strip()
        if url:
            refused = webhook_refusal(url)
            if refused:
                raise forms.ValidationError(str(refused), code="refused")
        return url

    def clean(self):
        data = super().clean()
        if data.get("by_email") and not self.instance.user.email:
            self.add_error(
                "by_email",
                _("Your account has no email address; an administrator can add one in the admin."),
            )
        return data


class AppriseUrlForm(forms.Form):
    """A new Apprise URL: a name to know it by, and the URL (kept encrypted)."""

    name = forms.CharField(label=_("Name"), max_length=80)
    url = forms.CharField(
        label=_("Apprise URL"),
        max_length=2000,
        widget=forms.PasswordInput(attrs={"placeholder": "slack://…", "autocomplete": "off"}),
        help_text=_("It holds the service's secrets: it is kept encrypted and shown masked."),
    )

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        refused = chat.refusal(url)
        if refused is not None:
            raise forms.ValidationError(str(refused), code="refused")
        return url
