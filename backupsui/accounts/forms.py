from allauth.account.forms import LoginForm
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.webauthn.forms import AddWebAuthnForm
from django import forms
from django.utils.translation import gettext_lazy as _

from . import code_limits
from .identity import LOCAL_OFF, local_sign_in_allowed, may_try_password

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
        # With local sign-in off, only a superuser's password is checked: anyone else is
        # refused before it is read, with one answer whatever the password (no oracle).
        login = self.cleaned_data.get("login")
        if login and not self._errors and not may_try_password(login):
            raise forms.ValidationError(LOCAL_OFF, code="local_off")
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


class LimitedCodes:
    """allauth's forms that take a second-factor code (authenticator app or recovery code),
    under the panel's limit on wrong codes (code_limits): a locked person or address gets
    the lock-out page (429, and when it lifts) and no code is checked."""

    reconfirming = False

    def clean_code(self):
        request = context.request
        attempt = code_limits.Attempt(request, self.user, reconfirming=self.reconfirming)
        lock = attempt.begin()
        if lock is None:
            try:
                code = super().clean_code()
            except forms.ValidationError:
                lock = attempt.failed()
                if lock is None:
                    raise
            else:
                attempt.succeeded()
                return code
        from .views import codes_locked_out

        raise ImmediateHttpResponse(codes_locked_out(request, lock, self.reconfirming))


class SecondStepForm(LimitedCodes, AuthenticateForm):
    """The sign-in's second step."""


class ConfirmWithCodeForm(LimitedCodes, ReauthenticateForm):
    """Confirming again with a code."""

    reconfirming = True
