"""Second factors in a real browser: passkeys made by Chromium's virtual authenticator (the
DevTools protocol's WebAuthn domain), an authenticator app fed a code computed here, recovery
codes taken once; an operator sent to add a factor before a restore and back; a delete after
BACKUPSUI_REAUTH_MINUTES confirmed and then carried out once."""

import re

from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from backupsui.jobs.models import Job
from tests.e2e.conftest import age_session, sign_in
from tests.helpers import completed_backup, events, totp_code


def virtual_authenticator(page, cdp=None):
    """A platform passkey store that says yes by itself, as a person touching it would."""
    if cdp is None:
        cdp = page.context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()


def add_passkey(page, base_url, name) -> None:
    page.goto(f"{base_url}/accounts/2fa/webauthn/add/")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Sign in with this passkey alone").check()
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("The passkey was added.")).to_be_visible()


def test_it_adds_passkeys_and_signs_in_with_one_alone(watched, live_server, people, axe):
    page = watched
    cdp, laptop = virtual_authenticator(page)
    sign_in(page, live_server.url, "olivia")
    expect(page).to_have_url(re.compile("/backups/"))
    add_passkey(page, live_server.url, "work laptop")
    # A second device: the laptop is put away (one device holds one passkey per site).
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": laptop})
    virtual_authenticator(page, cdp)
    add_passkey(page, live_server.url, "spare key")
    page.goto(f"{live_server.url}/accounts/2fa/webauthn/")
    expect(page.get_by_role("cell", name="work laptop")).to_be_visible()
    expect(page.get_by_role("cell", name="spare key")).to_be_visible()
    assert axe(page) == []
    assert Authenticator.objects.filter(user=people["olivia"], type="webauthn").count() == 2
    sign_out(page)
    page.get_by_role("button", name="Use a passkey").click()
    expect(page).to_have_url(re.compile("/backups/"))
    expect(page.get_by_text("olivia")).to_be_visible()
    assert events("sign_in")[-1].message == "Signed in with a passkey."


def test_it_adds_an_authenticator_app_and_takes_a_recovery_code_once(
    watched, live_server, people, axe
):
    page = watched
    sign_in(page, live_server.url, "sam")
    page.goto(f"{live_server.url}/accounts/2fa/")
    page.get_by_role("link", name="Add an authenticator app").click()
    expect(page.get_by_role("img", name="QR code of the key below")).to_be_visible()
    assert axe(page) == []
    secret = page.get_by_label("Key", exact=True).input_value()
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("The authenticator app was added.")).to_be_visible()
    codes = page.locator("ul.codes code").all_inner_texts()
    assert len(codes) == 10
    sign_out(page)

    sign_in(page, live_server.url, "sam")
    expect(page.get_by_role("heading", name="Second factor")).to_be_visible()
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile("/backups/"))
    sign_out(page)

    sign_in(page, live_server.url, "sam")
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Incorrect code.")).to_be_visible()
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile("/backups/"))
    assert len(events("recovery_code_used")) == 1


def test_it_sends_an_operator_to_add_a_second_factor_before_a_restore_and_back(
    watched, live_server, people, world, settings
):
    settings.BACKUPSUI_MFA_REQUIRED = ["Operators"]
    page = watched
    backup = completed_backup(world)
    sign_in(page, live_server.url, "olivia")
    restore = f"{live_server.url}/servers/12345/restore/?backup_id={backup.id}"
    page.goto(restore)
    page.get_by_label("to confirm").fill("web-server-01")
    page.get_by_role("button", name=re.compile("^Restore")).click()
    expect(page).to_have_url(f"{live_server.url}/accounts/2fa/")
    expect(page.get_by_text("Your role needs a second factor")).to_be_visible()
    assert Job.objects.count() == 0 and not events("restore_requested")
    page.get_by_role("link", name="Add an authenticator app").click()
    secret = page.get_by_label("Key", exact=True).input_value()
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_role("link", name="Go back to what you were doing").click()
    expect(page).to_have_url(restore)
    page.get_by_label("to confirm").fill("web-server-01")
    page.get_by_role("button", name=re.compile("^Restore")).click()
    expect(page).to_have_url(re.compile("/jobs/"))  # a restore with a safety backup first
    assert Job.objects.count() == 1


def test_it_confirms_a_late_delete_and_then_deletes_once(watched, live_server, people, world):
    page = watched
    backup = completed_backup(world)
    sign_in(page, live_server.url, "olivia")
    page.goto(f"{live_server.url}/backups/{backup.id}/delete/")
    age_session(page)
    page.get_by_role("button", name="Delete this backup").click()
    expect(page.get_by_role("heading", name="Confirm who you are")).to_be_visible()
    assert backup.id in world.state.backups
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text(f"Backup {backup.id} of web-server-01 was deleted")).to_be_visible()
    assert backup.id not in world.state.backups
    assert len(events("backup_deleted")) == 1 and len(events("reauthenticated")) == 1
