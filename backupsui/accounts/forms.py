from django import forms
from django.utils.translation import gettext_lazy as _

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
