"""Saving, reading and removing a person's API token, and the freshness version of their
list. The token page, the commands and the backups panel use this."""

import logging
import secrets
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from backupsui.audit.actors import Actor
from backupsui.audit.models import Action, AuditEvent, Outcome
from backupsui.audit.recorder import note, record
from backupsui.compiled import Compiled
from backupsui.upstream import BackupsClient

from .crypto import TokenKeyError, encrypt
from .models import ApiToken

logger = logging.getLogger("backupsui.accounts")

ACCEPTED_WRITE_EVERY = timedelta(minutes=1)
# Tokens refused for one person, in a while, before the page stops asking the API: the page
# must not be a way to try tokens against the provider by the thousand.
REFUSED_LIMIT, REFUSED_WINDOW = 10, timedelta(minutes=10)


def new_version() -> int:
    return secrets.randbits(62)


def verify_and_save(actor: Actor, user, token: str) -> ApiToken:
    """Checks `user`'s token with one list call, then stores it encrypted. Raises
    UpstreamError."""
    token = token.strip()
    with record(actor, Action.TOKEN_SET):
        BackupsClient(token).list_backups()
        now = timezone.now()
        stored, _ = ApiToken.objects.update_or_create(
            user=user,
            defaults={
                "ciphertext": encrypt(token),
                "last4": token[-4:],
                "saved_at": now,
                "last_accepted_at": now,
                # Lists remembered under the old token are never read again, in any process.
                "lists_version": new_version(),
                "unreadable_since": None,
                "list_failed_at": None,
                "list_failure": "",
            },
        )
    return stored


def remove(actor: Actor, user) -> bool:
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    if deleted:
        note(actor, Action.TOKEN_REMOVED, Outcome.ACCEPTED)
    return bool(deleted)


def too_many_refused(user) -> bool:
    since = timezone.now() - REFUSED_WINDOW
    refused = AuditEvent.objects.filter(
        actor=user, action=Action.TOKEN_SET, outcome=Outcome.REFUSED, created_at__gte=since
    )
    return refused.count() >= REFUSED_LIMIT


# Every backups page asks: compiled once (backupsui.compiled).
_stored = Compiled(lambda user_id: ApiToken.objects.filter(user=user_id)[:1])


def stored_token(user) -> ApiToken | None:
    found = _stored.instances(ApiToken, user.pk)
    return found[0] if found else None


def reveal(token: ApiToken) -> str:
    """The stored token in clear. When no configured key decrypts it (the keys changed), that
    is noted on its row (said on its pages, counted on /metrics) and logged once, by whichever
    process finds it first, naming the row, never the ciphertext; raises TokenKeyError. Once
    a key decrypts it again, the note goes."""
    try:
        plaintext = token.reveal()
    except TokenKeyError:
        if token.unreadable_since is None:
            token.unreadable_since = timezone.now()
            unread = ApiToken.objects.filter(pk=token.pk, unreadable_since__isnull=True)
            if unread.update(unreadable_since=token.unreadable_since):
                logger.warning(
                    "the stored API token %s (user %s) cannot be decrypted with the keys of "
                    "BACKUPSUI_TOKEN_KEYS: its owner must store it again",
                    token.pk,
                    token.user_id,
                    extra={"token_id": token.pk, "token_user_id": token.user_id},
                )
        raise
    if token.unreadable_since is not None:
        token.unreadable_since = None
        ApiToken.objects.filter(pk=token.pk).update(unreadable_since=None)
    return plaintext


def readable(token: ApiToken) -> bool:
    try:
        reveal(token)
    except TokenKeyError:
        return False
    return True


def lists_changed(token: ApiToken) -> None:
    """Something may have changed upstream through this token: every process's remembered
    list of it is stale from the next request on."""
    token.lists_version = new_version()
    ApiToken.objects.filter(pk=token.pk).update(lists_version=token.lists_version)


def mark_accepted(token: ApiToken) -> None:
    """Notes a successful call, writing at most once a minute."""
    now = timezone.now()
    if token.last_accepted_at is None or now - token.last_accepted_at > ACCEPTED_WRITE_EVERY:
        token.last_accepted_at = now
        ApiToken.objects.filter(pk=token.pk).update(last_accepted_at=now)


def list_failed(token: ApiToken, cause: str) -> None:
    """A fetch of the token's list failed (`cause`: the call's, see upstream.calls): noted for
    every process and replica, so that a page showing an older list says so, and counted."""
    now = timezone.now()
    token.list_failed_at, token.list_failure = now, cause[:20]
    ApiToken.objects.filter(pk=token.pk).update(
        list_failed_at=now, list_failure=token.list_failure, list_failures=F("list_failures") + 1
    )


def list_answered(token: ApiToken) -> None:
    """A fetch of the token's list succeeded: if the last one had failed, that is over (a
    write only then)."""
    if token.list_failed_at is not None:
        token.list_failed_at, token.list_failure = None, ""
        ApiToken.objects.filter(pk=token.pk).update(list_failed_at=None, list_failure="")
