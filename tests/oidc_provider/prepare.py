"""Makes the provider's database: its people and the panel as a confidential client.
Run as `python -m tests.oidc_provider.prepare REDIRECT_URI CLIENT_ID CLIENT_SECRET`."""

import sys

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from oauth2_provider.models import Application  # noqa: E402

PEOPLE = ("alice", "bob", "carol")
PASSWORD = "provider password 123"


def main(redirect_uri: str, client_id: str, client_secret: str) -> None:
    call_command("migrate", verbosity=0, interactive=False)
    for name in PEOPLE:
        User.objects.create_user(name, password=PASSWORD)
    Application.objects.create(
        name="backupsui",
        client_id=client_id,
        client_secret=client_secret,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=redirect_uri,
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
