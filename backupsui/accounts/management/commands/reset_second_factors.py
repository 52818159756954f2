from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from backupsui.accounts.sessions import end_sessions
from backupsui.audit.actors import Actor
from backupsui.audit.models import Action
from backupsui.audit.recorder import note


class Command(BaseCommand):
    help = (
        "Removes every second factor of USERNAME (authenticator app, passkeys, recovery "
        "codes), for someone who lost them all, and ends every session they are signed in "
        "on; they sign in with their password and add new ones. Put on the audit trail with "
        "the administrator named by --by."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--by", required=True, help="the administrator doing this (a username)")
        parser.add_argument("--reason", default="", help="why, for the audit trail")

    def handle(self, *args, **options):
        User = get_user_model()
        users = {}
        for role, name in (("user", options["username"]), ("administrator", options["by"])):
            try:
                users[role] = User.objects.get_by_natural_key(name)
            except User.DoesNotExist:
                raise CommandError(f"There is no user {name!r}.") from None
        admin, user = users["administrator"], users["user"]
        if not admin.is_superuser:
            raise CommandError(f"{admin.get_username()!r} is not a superuser.")
        with transaction.atomic():
            kinds = sorted(Authenticator.objects.filter(user=user).values_list("type", flat=True))
            Authenticator.objects.filter(user=user).delete()
            # Whoever holds a session may be who took the factors: nobody stays signed in.
            ended = end_sessions(user)
            reason = f" Reason: {options['reason']}" if options["reason"] else ""
            note(
                Actor.of(admin),
                Action.SECOND_FACTORS_RESET,
                message=(
                    f"Every second factor of {user.get_username()} removed "
                    f"({', '.join(kinds) or 'none'}) and {ended} session(s) ended "
                    f"with manage.py.{reason}"
                )[:2000],
            )
        self.stdout.write(
            f"{len(kinds)} second factor(s) of {user.get_username()} removed and {ended} "
            "session(s) ended; they sign in with their password and add new ones."
        )
