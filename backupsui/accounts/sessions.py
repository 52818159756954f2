"""Ending a person's sessions from outside them (a management command): every browser they
are signed in on is signed out at its next request."""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.utils import timezone


def end_sessions(user) -> int:
    """Deletes every live session signed in as `user`; how many there were. Sessions live in
    the database (Django's default engine), so this holds for every process and replica."""
    mine = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get(SESSION_KEY) == str(user.pk)
    ]
    Session.objects.filter(pk__in=mine).delete()
    return len(mine)
