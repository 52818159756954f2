"""Who a single sign-on provider's person becomes here, the first time they sign on: an account
of their own, never joined to a local one.

- Its name is `sso-` and the provider's preferred name (or its subject), with a number added
  when that is taken (`sso-root2`): never a name without the prefix, which would look like a
  local account on the audit trail (and whose password would sign in as someone else).
- It gets the provider's e-mail address only when the provider says it is verified and no
  other account here has it. An address another account has is never a reason to join the
  two, nor an error: the account is made without it."""

import itertools
import re
import unicodedata

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

PREFIX = "sso-"
# What a username may hold (Django's UnicodeUsernameValidator): the rest is dropped.
NOT_IN_A_NAME = re.compile(r"[^\w.@+-]")
# Room left for the number added to a name that is taken.
NUMBER_ROOM = 10


def _cleaned(text: str | None) -> str:
    return NOT_IN_A_NAME.sub("", unicodedata.normalize("NFKC", text or ""))


def username_for(wanted: str | None, subject: str) -> str:
    """A free username with the prefix, from the provider's preferred name or its subject."""
    from allauth.account.adapter import get_adapter

    User = get_user_model()
    field = User.USERNAME_FIELD
    longest = User._meta.get_field(field).max_length - NUMBER_ROOM
    for base in (_cleaned(wanted), _cleaned(subject), "user"):
        stem = f"{PREFIX}{base}"[:longest] if base else ""
        try:
            get_adapter().clean_username(stem, shallow=True)
        except ValidationError:
            continue
        taken = {
            name.lower()
            for name in User._default_manager.filter(**{f"{field}__istartswith": stem}).values_list(
                field, flat=True
            )
        }
        for number in itertools.count(1):
            name = stem if number == 1 else f"{stem}{number}"
            if name.lower() not in taken:
                return name
    raise AssertionError("unreachable: 'sso-user' is a valid name")


def email_to_keep(sociallogin, email: str | None) -> str:
    """The provider's address if it says it is verified and nobody here has it; else ''."""
    from allauth.account.models import EmailAddress

    if not email:
        return ""
    verified = any(
        found.verified and found.email.lower() == email.lower()
        for found in sociallogin.email_addresses
    )
    User = get_user_model()
    taken = (
        User._default_manager.filter(email__iexact=email).exists()
        or EmailAddress.objects.filter(email__iexact=email).exists()
    )
    return email if verified and not taken else ""
