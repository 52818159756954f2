"""django-allauth's own words that the panel's sign-in and second-factor pages show (field
labels, refusals). allauth has no Samoan catalogue, so the panel's carries them; listing them
here lets `makemessages` find them. Never imported: the words are looked up by Django."""

from django.utils.translation import gettext_noop

WORDS = [
    gettext_noop("Username"),
    gettext_noop("Code"),
    gettext_noop("Authenticator code"),
    gettext_noop("The username and/or password you specified are not correct."),
    gettext_noop("Too many failed login attempts. Try again later."),
    gettext_noop("Incorrect code."),
    gettext_noop("Incorrect password."),
    gettext_noop("Invalid login."),
    gettext_noop("This account is currently inactive."),
    gettext_noop("You cannot deactivate two-factor authentication."),
    gettext_noop(
        "You cannot generate recovery codes without having two-factor authentication enabled."
    ),
    gettext_noop("Be patient, you are sending too many requests."),
]
