from allauth.account.forms import LoginForm
from allauth.mfa.webauthn.forms import AddWebAuthnForm
from django import forms
from django.utils.translation import gettext_lazy as _

from .identity import LOCAL_OFF, local_sign_in_allowed

TOKEN_MAX = 512


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("API token"),
        max_length=TOKEN_MAX,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_token(self):
        token = self.cleaned_data["token"]
        if (
            len(token) < 8
            or not token.isascii()
            or any(ch.isspace() or not ch.isprintable() for ch in token)
        ):
            raise forms.ValidationError(
                _(
                    "That does not look like an API token: it is one word of at least 8 "
                    "letters, digits and punctuation (ASCII)."
                ),
                code="shape",
            )
        return token


class SignInForm(LoginForm):
    """allauth's sign-in form, its login field sent as `username` as the panel's always was
    (bookmarked scripts, password managers and the tests keep working)."""

    def add_prefix(self, field_name):
        return super().add_prefix("username" if field_name == "login" else field_name)

    def clean(self):
        cleaned = super().clean()
        user = getattr(self, "user", None)
        if user is not None and not local_sign_in_allowed(user):
            raise forms.ValidationError(LOCAL_OFF, code="local_off")
        return cleaned


class AddPasskeyForm(AddWebAuthnForm):
    """allauth's form for a new passkey, with the panel's words."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("Name")
        self.fields["name"].max_length = 100
        if "passwordless" in self.fields:
            self.fields["passwordless"].label = _(
                "Sign in with this passkey alone, without a password"
            )
