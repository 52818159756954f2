"""Every URL pattern, walked as anonymous, support, operator and auditor, with the expected
status."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from backupsui.jobs.models import BulkRequest, Job
from backupsui.plans.models import Plan
from tests.helpers import FormClient, completed_backup

ROLES = ANON, SUPPORT, OPERATOR, AUDITOR = ("anonymous", "support", "operator", "auditor")


def expect(anonymous, support, operator, auditor) -> dict:
    return dict(zip(ROLES, (anonymous, support, operator, auditor), strict=True))


# name: (method, path, what each role gets)
MATRIX = {
    "login": ("get", "/accounts/login/", expect(200, 302, 302, 302)),
    "logout": ("get", "/accounts/logout/", expect(405, 405, 405, 405)),
    "accounts:token": ("get", "/account/token/", expect(302, 200, 200, 200)),
    "accounts:token_remove": ("get", "/account/token/remove/", expect(302, 200, 200, 200)),
    "accounts:language": ("get", "/account/language/", expect(405, 405, 405, 405)),
    "backups:list": ("get", "/backups/", expect(302, 200, 200, 200)),
    "backups:poll": ("get", "/backups/poll/?watch=12345:1", expect(302, 200, 200, 200)),
    "backups:create": ("get", "/backups/new/", expect(302, 200, 200, 403)),
    "backups:delete": ("get", "/backups/{backup}/delete/", expect(302, 403, 200, 403)),
    "backups:restore": (
        "get",
        "/servers/12345/restore/?backup_id={backup}",
        expect(302, 200, 200, 403),
    ),
    "backups:servers": ("get", "/servers/", expect(302, 200, 200, 200)),
    "backups:servers_export": ("get", "/servers/export.csv", expect(302, 200, 200, 200)),
    "backups:export": ("get", "/backups/export.csv", expect(302, 200, 200, 200)),
    "jobs:list": ("get", "/jobs/", expect(302, 200, 200, 200)),
    "backups:server": ("get", "/servers/12345/", expect(302, 200, 200, 200)),
    "backups:report": ("get", "/reports/", expect(302, 403, 200, 200)),
    "backups:report_export": ("get", "/reports/export.csv", expect(302, 403, 200, 200)),
    "backups:report_weekly": ("get", "/reports/weekly/", expect(405, 405, 405, 405)),
    "jobs:detail": ("get", "/jobs/{job}/", expect(302, 404, 200, 200)),  # olivia's job
    "jobs:cancel": ("get", "/jobs/{job}/cancel/", expect(405, 405, 405, 405)),
    "jobs:bulk_backup": (
        "get",
        "/servers/backup/?server_id=12345&server_id=12346",
        expect(302, 200, 200, 403),
    ),
    "jobs:bulk_delete": ("get", "/backups/delete/?backup_id={backup}", expect(302, 403, 200, 403)),
    "jobs:bulk": ("get", "/jobs/bulk/{bulk}/", expect(302, 404, 200, 200)),  # olivia's
    "alerts:settings": ("get", "/account/alerts/", expect(302, 200, 200, 200)),
    "plans:list": ("get", "/plans/", expect(302, 200, 200, 200)),
    "plans:new": ("get", "/plans/new/", expect(302, 403, 200, 403)),
    "plans:previews": ("get", "/plans/preview/", expect(302, 200, 200, 200)),
    "plans:detail": ("get", "/plans/{plan}/", expect(302, 200, 200, 200)),
    "plans:edit": ("get", "/plans/{plan}/edit/", expect(302, 403, 200, 403)),
    "plans:delete": ("get", "/plans/{plan}/delete/", expect(302, 403, 200, 403)),
    "plans:run": ("get", "/plans/{plan}/run/", expect(405, 405, 405, 405)),
    "plans:kept": ("get", "/backups/{backup}/kept/", expect(405, 405, 405, 405)),
    "audit:list": ("get", "/audit/", expect(302, 200, 200, 200)),
    "audit:export": ("get", "/audit/export.csv", expect(302, 200, 200, 200)),
    "healthz": ("get", "/healthz", expect(200, 200, 200, 200)),
    "readyz": ("get", "/readyz", expect(200, 200, 200, 200)),
    "": ("get", "/", expect(302, 302, 302, 302)),
    "admin": ("get", "/admin/", expect(302, 302, 302, 302)),
    # Sign-in, confirming again, second factors and single sign-on (django-allauth's pages).
    "account_login": ("get", "/accounts/login/", expect(200, 302, 302, 302)),
    "account_logout": ("get", "/accounts/logout/", expect(405, 405, 405, 405)),
    "account_inactive": ("get", "/accounts/inactive/", expect(200, 200, 200, 200)),
    "account_reauthenticate": ("get", "/accounts/reauthenticate/", expect(302, 200, 200, 200)),
    "mfa_index": ("get", "/accounts/2fa/", expect(302, 200, 200, 200)),
    # Only in the middle of signing in; else back to sign-in (or, signed in, on).
    "mfa_authenticate": ("get", "/accounts/2fa/authenticate/", expect(302, 302, 302, 302)),
    # Nobody here has a second factor: sent on to confirm with a password.
    "mfa_reauthenticate": ("get", "/accounts/2fa/reauthenticate/", expect(302, 302, 302, 302)),
    "mfa_reauthenticate_webauthn": (
        "get",
        "/accounts/2fa/webauthn/reauthenticate/",
        expect(302, 302, 302, 302),
    ),
    "mfa_activate_totp": ("get", "/accounts/2fa/totp/activate/", expect(302, 200, 200, 200)),
    "mfa_deactivate_totp": ("get", "/accounts/2fa/totp/deactivate/", expect(302, 404, 404, 404)),
    "mfa_view_recovery_codes": (
        "get",
        "/accounts/2fa/recovery-codes/",
        expect(302, 404, 404, 404),
    ),
    "mfa_generate_recovery_codes": (
        "get",
        "/accounts/2fa/recovery-codes/generate/",
        expect(302, 200, 200, 200),
    ),
    "mfa_download_recovery_codes": (
        "get",
        "/accounts/2fa/recovery-codes/download/",
        expect(302, 404, 404, 404),
    ),
    "mfa_list_webauthn": ("get", "/accounts/2fa/webauthn/", expect(302, 200, 200, 200)),
    "mfa_add_webauthn": ("get", "/accounts/2fa/webauthn/add/", expect(302, 200, 200, 200)),
    "mfa_remove_webauthn": (
        "get",
        "/accounts/2fa/webauthn/keys/999/remove/",
        expect(302, 404, 404, 404),
    ),
    "mfa_edit_webauthn": (
        "get",
        "/accounts/2fa/webauthn/keys/999/edit/",
        expect(302, 404, 404, 404),
    ),
    "mfa_login_webauthn": ("get", "/accounts/2fa/webauthn/login/", expect(302, 302, 302, 302)),
    "socialaccount_login_cancelled": (
        "get",
        "/accounts/sso/cancelled/",
        expect(200, 200, 200, 200),
    ),
    "socialaccount_login_error": ("get", "/accounts/sso/error/", expect(401, 401, 401, 401)),
    "socialaccount_signup": ("get", "/accounts/sso/signup/", expect(302, 302, 302, 302)),
    # No provider is configured in the tests' settings.
    "openid_connect_login": ("get", "/accounts/oidc/sso/login/", expect(404, 404, 404, 404)),
    "openid_connect_callback": (
        "get",
        "/accounts/oidc/sso/login/callback/",
        expect(404, 404, 404, 404),
    ),
    "backups:mute": ("get", "/servers/12345/mute/", expect(302, 403, 200, 403)),
    "alerts:apprise_add": ("get", "/account/alerts/apprise/", expect(405, 405, 405, 405)),
    "alerts:apprise_delete": (
        "get",
        "/account/alerts/apprise/1/delete/",
        expect(405, 405, 405, 405),
    ),
    "alerts:apprise_test": ("get", "/account/alerts/apprise/1/test/", expect(405, 405, 405, 405)),
    "metrics": ("get", "/metrics", expect(404, 404, 404, 404)),  # no key configured: no page
}
# Changes, by POST: what each role may do.
CHANGES = [
    ("post", "/backups/new/", {"server_id": 12345}, expect(302, 302, 302, 403)),
    ("post", "/backups/{backup}/delete/", {}, expect(302, 403, 302, 403)),
    ("post", "/backups/{backup}/kept/", {}, expect(302, 403, 302, 403)),
    (
        "post",
        "/servers/12345/restore/",
        # One role after the other restores the server: past the first, "restore anyway".
        {"backup_id": "{backup}", "confirm": "web-server-01", "anyway": "on"},
        expect(302, 302, 302, 403),
    ),
    ("post", "/servers/12345/mute/", {"hours": "4"}, expect(302, 403, 302, 403)),
]


def named_patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                yield "admin"
                continue
            inner = f"{entry.namespace}:" if entry.namespace else ""
            yield from named_patterns(entry, namespace + inner)
        elif isinstance(entry, URLPattern):
            yield namespace + (entry.name or "")


def test_it_has_a_rule_for_every_url_pattern():
    assert set(named_patterns()) == set(MATRIX)


@pytest.fixture
def clients(operator, support, auditor):
    signed_in = {SUPPORT: support, OPERATOR: operator, AUDITOR: auditor}
    clients = {ANON: FormClient()}
    for role, user in signed_in.items():
        clients[role] = FormClient()
        clients[role].force_login(user)
    return clients


@pytest.mark.parametrize("name", list(MATRIX))
def test_it_answers_each_role_as_expected(sandbox, clients, operator, name):
    method, path, expected = MATRIX[name]
    job = Job.objects.create(user=operator, server_id=12345, backup_id=1)
    bulk = BulkRequest.objects.create(user=operator)
    plan = Plan.objects.create(owner=operator, name="Matrix")
    path = path.format(backup=completed_backup(sandbox).id, job=job.pk, bulk=bulk.pk, plan=plan.pk)
    got = {role: getattr(client, method)(path).status_code for role, client in clients.items()}
    assert got == expected


@pytest.mark.parametrize(("method", "path", "data", "expected"), CHANGES)
def test_it_lets_each_role_change_only_what_it_may(sandbox, clients, method, path, data, expected):
    got = {}
    for role in ROLES:
        backup = completed_backup(sandbox).id
        filled = {k: v.format(backup=backup) if isinstance(v, str) else v for k, v in data.items()}
        got[role] = getattr(clients[role], method)(path.format(backup=backup), filled).status_code
    assert got == expected
