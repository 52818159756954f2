import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from backupsui.accounts import tokens
from backupsui.audit.actors import Actor
from backupsui.upstream import UpstreamError


class Command(BaseCommand):
    help = "Stores USERNAME's API token, read from standard input, after checking it upstream."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, **options):
        User = get_user_model()
        try:
            user = User.objects.get_by_natural_key(options["username"])
        except User.DoesNotExist:
            raise CommandError(f"There is no user {options['username']!r}.") from None
        token = sys.stdin.readline().strip()
        if not token:
            raise CommandError("No token on standard input.")
        try:
            stored = tokens.verify_and_save(Actor.named(user.get_username()), user, token)
        except UpstreamError as error:
            raise CommandError(f"The token was not saved: {error.message}") from None
        self.stdout.write(f"Token …{stored.last4} saved for {user.get_username()}.")
