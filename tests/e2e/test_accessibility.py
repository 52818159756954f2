"""axe on every page: no serious or critical violation, in light and dark."""

import pytest

from tests.e2e.conftest import sign_in
from tests.helpers import completed_backup

PAGES = {
    "sign-in": "/accounts/login/",
    "list": "/backups/",
    "server": "/backups/?server_id=12345",
    "create": "/backups/new/",
    "delete": "/backups/{backup}/delete/?server_id=12345",
    "restore": "/servers/12345/restore/?backup_id={backup}",
    "token": "/account/token/",
    "audit": "/audit/",
    "servers": "/servers/",
    "server-story": "/servers/12345/",
    "report": "/reports/",
    "bulk-backup": "/servers/backup/?server_id=12345&server_id=12346",
    "bulk-delete": "/backups/delete/?backup_id={backup}",
    "alerts": "/account/alerts/",
    "not-found": "/nowhere/",
    "sign-in security": "/accounts/2fa/",
    "authenticator app": "/accounts/2fa/totp/activate/",
    "passkeys": "/accounts/2fa/webauthn/",
    "add passkey": "/accounts/2fa/webauthn/add/",
    "new recovery codes": "/accounts/2fa/recovery-codes/generate/",
    "confirm again": "/accounts/reauthenticate/",
    "sign-on cancelled": "/accounts/sso/cancelled/",
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_it_has_no_serious_accessibility_violation_on_any_page(
    watched, live_server, people, world, axe, scheme
):
    page = watched
    page.emulate_media(color_scheme=scheme)
    backup = completed_backup(world).id
    page.goto(f"{live_server.url}/accounts/login/")
    found = {"sign-in": axe(page)}
    sign_in(page, live_server.url, "olivia")
    for name, path in PAGES.items():
        if name == "sign-in":
            continue
        page.goto(live_server.url + path.format(backup=backup))
        found[name] = axe(page)
    assert found == {name: [] for name in PAGES}
