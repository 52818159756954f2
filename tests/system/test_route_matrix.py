"""Every URL pattern, walked as anonymous, support, operator and auditor, with the expected
status; then every route that takes an id (in its path, found from the URL resolver, or in
its query), walked as each of them and as an Operator of another account, with what each may
get and what may reach the API: every call upstream carries the caller's own token, and
nothing of another account is acted on or fetched."""

import re
from dataclasses import dataclass, field

import pytest
from allauth.mfa.models import Authenticator
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone

from backupsui.accounts.crypto import encrypt
from backupsui.alerts.models import AppriseUrl
from backupsui.audit.actors import Actor
from backupsui.audit.models import Action
from backupsui.audit.recorder import note
from backupsui.backups.lists import memory
from backupsui.jobs.models import BulkItem, BulkRequest, Job
from backupsui.plans.models import Plan, PlanRun
from tests.conftest import OPERATOR_TOKEN, OTHER_TOKEN, SUPPORT_TOKEN
from tests.helpers import FormClient, UpstreamLog, completed_backup

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
    "plans:resume": ("get", "/plans/{plan}/resume/", expect(405, 405, 405, 405)),
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
    plan = Plan.objects.create(owner=operator, name="Matrix", servers="chosen", server_ids=[12345])
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


# Every route with an id -------------------------------------------------------------------
#
# The objects are of olivia's account (acme): a backup of web-server-01 (12345), a restore
# job and a bulk request of hers, her backup plan with a run, an audit event, an Apprise URL
# and a passkey. The viewers: nobody signed in, sam (Support), olivia herself (Operators),
# ada (Auditors), all three on acme's tokens, and oscar, an Operator whose token is of the
# other account (globex).

VIEWERS = ANON, SUPPORT, OPERATOR, AUDITOR, STRANGER = (*ROLES, "operator of another account")
# A token is a viewer's own: every call upstream made while they ask carries it, or none.
OWN_TOKEN = dict(
    zip(VIEWERS[1:], (SUPPORT_TOKEN, OPERATOR_TOKEN, SUPPORT_TOKEN, OTHER_TOKEN), strict=True)
)
NOT_HIS = (403, 404, 405)  # what the other account's Operator gets, unless `history`


def by(anonymous, support, operator, auditor, stranger) -> dict:
    return dict(zip(VIEWERS, (anonymous, support, operator, auditor, stranger), strict=True))


@dataclass(frozen=True)
class Route:
    """How one route answers each viewer, by GET and (when it changes something) by POST.

    `post`: the viewers who may not change it, and what they get; those left out may (their
    change is each app's own tests' business, not the matrix's). `history`: what was done
    (jobs, bulk requests, the audit trail) reads across accounts for the roles holding the
    audit permission, without a call upstream. `scoped`: a page of the viewer's own
    account, whatever the id asks for (their own list, filtered). `absent`: what must not be
    on the other account's Operator's page (on Support's, for history: another person's
    events). `sends`: the API itself decides, asked with the person's own token (the one
    change sent for an id that may not be theirs)."""

    path: str
    get: dict
    post: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    history: bool = False
    scoped: bool = False
    absent: str = ""
    sends: bool = False


ADMIN = "admin"  # the admin's own pages, with ids: staff only (none of the viewers)
REACHED = by(302, 200, 200, 200, 404)  # a plan or server page: its account only
OPERATORS_ONLY = by(302, 403, 200, 403, 404)
REFUSED_POST = {ANON: 302, SUPPORT: 403, AUDITOR: 403, STRANGER: 404}
POST_ONLY = by(405, 405, 405, 405, 405)
OWNERS_ONLY = {ANON: 302, SUPPORT: 404, AUDITOR: 404, STRANGER: 404}

# Routes with an id in the path, by name: each must be here (see the first test below).
PATH_IDS = {
    "backups:delete": Route(
        "/backups/{backup}/delete/", OPERATORS_ONLY, post=REFUSED_POST, data={"confirm": "on"}
    ),
    "backups:server": Route("/servers/{server}/", REACHED),
    "backups:restore": Route(
        "/servers/{server}/restore/?backup_id={backup}",
        by(302, 200, 200, 403, 404),
        post={ANON: 302, AUDITOR: 403, STRANGER: 404},
        data={"backup_id": "{backup}", "confirm": "web-server-01", "anyway": "on"},
    ),
    "backups:mute": Route(
        "/servers/{server}/mute/", OPERATORS_ONLY, post=REFUSED_POST, data={"hours": "4"}
    ),
    # Olivia's job: Support reads it (its server is in sam's list), Auditors and Operators
    # read everyone's; only olivia may cancel it.
    "jobs:detail": Route("/jobs/{job}/", by(302, 200, 200, 200, 200), history=True),
    "jobs:cancel": Route(
        "/jobs/{job}/cancel/",
        POST_ONLY,
        post={ANON: 302, SUPPORT: 403, AUDITOR: 403, STRANGER: 403},
    ),
    "jobs:bulk": Route("/jobs/bulk/{bulk}/", by(302, 404, 200, 200, 200), history=True),
    "plans:detail": Route("/plans/{plan}/", REACHED),
    "plans:edit": Route(
        "/plans/{plan}/edit/",
        OPERATORS_ONLY,
        post=REFUSED_POST,
        data={
            "name": "Taken",
            "servers": "all",
            "preset": "daily",
            "at": "02:30",
            "zone": "UTC",
            "mode": "active",
            "take_over": "1",
        },
    ),
    "plans:delete": Route("/plans/{plan}/delete/", OPERATORS_ONLY, post=REFUSED_POST),
    "plans:run": Route("/plans/{plan}/run/", POST_ONLY, post=REFUSED_POST),
    "plans:resume": Route("/plans/{plan}/resume/", POST_ONLY, post=REFUSED_POST),
    "plans:kept": Route("/backups/{backup}/kept/", POST_ONLY, post=REFUSED_POST),
    # Alert targets are a person's own: everyone else gets a 404. A new kind of target (its
    # routes) goes here the same way, with its object made in `acme` below.
    "alerts:apprise_delete": Route(
        "/account/alerts/apprise/{apprise}/delete/", POST_ONLY, post=OWNERS_ONLY
    ),
    "alerts:apprise_test": Route(
        "/account/alerts/apprise/{apprise}/test/", POST_ONLY, post=OWNERS_ONLY
    ),
    # A person's own passkeys (django-allauth's pages).
    "mfa_edit_webauthn": Route(
        "/accounts/2fa/webauthn/keys/{key}/edit/", by(302, 404, 200, 404, 404)
    ),
    "mfa_remove_webauthn": Route(
        "/accounts/2fa/webauthn/keys/{key}/remove/", by(302, 404, 200, 404, 404), post=OWNERS_ONLY
    ),
    # Not an object: the name of a single sign-on provider (none is configured here).
    "openid_connect_login": Route("/accounts/oidc/sso/login/", by(404, 404, 404, 404, 404)),
    "openid_connect_callback": Route(
        "/accounts/oidc/sso/login/callback/", by(404, 404, 404, 404, 404)
    ),
}

# Routes taking an id in their query (the resolver cannot tell these).
QUERY_IDS = {
    "backups:list": Route("/backups/?server_id={server}", by(302, 200, 200, 200, 200), scoped=True),
    "backups:export": Route(
        "/backups/export.csv?server_id={server}", by(302, 200, 200, 200, 200), scoped=True
    ),
    "backups:poll": Route(
        "/backups/poll/?watch={server}:{backup}", by(302, 200, 200, 200, 200), scoped=True
    ),
    # Creating asks the API with the person's own token (a server with no backups yet is in
    # no list): another account's server is refused by the API, nothing is made.
    "backups:create": Route(
        "/backups/new/?server_id={server}",
        by(302, 200, 200, 403, 200),
        post={ANON: 302, AUDITOR: 403, STRANGER: 404},
        data={"server_id": "{server}"},
        scoped=True,
        sends=True,
    ),
    "jobs:bulk_backup": Route(
        "/servers/backup/?server_id={server}",
        by(302, 200, 200, 403, 404),
        post={ANON: 302, AUDITOR: 403, STRANGER: 404},
        data={"server_id": "{server}", "description": "matrix"},
    ),
    "jobs:bulk_delete": Route(
        "/backups/delete/?backup_id={backup}",
        OPERATORS_ONLY,
        post=REFUSED_POST,
        data={"backup_id": "{backup}", "confirm": "1"},
    ),
    "plans:previews": Route("/plans/preview/?plan={plan}", REACHED),
    "jobs:list": Route("/jobs/?server_id={server}", by(302, 200, 200, 200, 200), history=True),
    "audit:list event": Route(
        "/audit/?event={event}",
        by(302, 200, 200, 200, 200),
        history=True,
        absent='id="event-{event}"',
    ),
    "audit:list job": Route("/audit/?job={job}", by(302, 200, 200, 200, 200), history=True),
    "audit:list plan": Route("/audit/?plan={plan}", by(302, 200, 200, 200, 200), history=True),
    "audit:list run": Route("/audit/?run={run}", by(302, 200, 200, 200, 200), history=True),
    "audit:list server": Route(
        "/audit/?server_id={server}", by(302, 200, 200, 200, 200), history=True
    ),
    "audit:export event": Route(
        "/audit/export.csv?event={event}", by(302, 200, 200, 200, 200), history=True
    ),
    # No id, but a page of one account: the report names only the viewer's servers.
    "backups:report": Route(
        "/reports/", by(302, 403, 200, 200, 200), scoped=True, absent="#{server}<"
    ),
    "backups:report_export": Route(
        "/reports/export.csv", by(302, 403, 200, 200, 200), scoped=True, absent="{server},"
    ),
}


def id_params(pattern) -> list[str]:
    """The names of a pattern's parameters that are ids (an id, a pk, something_id)."""
    if isinstance(pattern, RoutePattern):
        names = list(pattern.converters)
    elif isinstance(pattern, RegexPattern):
        names = list(pattern.regex.groupindex)
    else:
        names = []
    return [n for n in names if n in ("id", "pk") or n.endswith("_id")]


def routes_with_ids(resolver=None, namespace="", prefix="", params=()):
    """(name, route, id parameters) of every URL pattern taking an id, nested ones too."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        found = [*params, *id_params(entry.pattern)]
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{entry.namespace}:" if entry.namespace else ""
            yield from routes_with_ids(entry, namespace + inner, route, found)
        elif found:
            yield namespace + (entry.name or ""), route, found


def admin_paths() -> list[str]:
    """Each admin route with an id, its ids filled with 1."""
    paths = []
    for name, route, _params in routes_with_ids():
        if name.split(":")[0] == ADMIN:
            paths.append("/" + re.sub(r"<(?:\w+:)?\w+>", "1", route))
    return paths


def test_it_has_an_entry_for_every_route_with_an_id():
    named = {name for name, _route, _params in routes_with_ids()}
    # The admin is staff's alone: its routes are walked by a rule of their own.
    left = {name for name in named if name.split(":")[0] != ADMIN}
    assert left - set(PATH_IDS) == set(), "a route with an id has no entry in PATH_IDS"
    assert set(PATH_IDS) - left == set(), "PATH_IDS names a route that is gone"
    assert admin_paths()


def test_it_lets_the_other_accounts_operator_only_read_history_and_their_own_pages():
    """The table itself: the other account's Operator gets 403/404 everywhere but on what
    was done (history) and on pages of their own account (scoped)."""
    for name, route in {**PATH_IDS, **QUERY_IDS}.items():
        if not (route.history or route.scoped):
            assert route.get[STRANGER] in NOT_HIS, name
        assert route.post.get(STRANGER, 404) in NOT_HIS, name


@pytest.fixture
def acme(sandbox, operator, support, auditor, other_operator):
    """Olivia's objects, and each viewer signed in, their list fetched once (the servers
    their token shows known, as after their first page)."""
    backup = completed_backup(sandbox)
    job = Job.objects.create(user=operator, server_id=12345, backup_id=backup.id)
    bulk = BulkRequest.objects.create(user=operator)
    BulkItem.objects.create(bulk=bulk, server_id=12345, backup_id=backup.id, state="accepted")
    plan = Plan.objects.create(owner=operator, name="Matrix", keep_last=1)
    run = PlanRun.objects.create(plan=plan, slot=timezone.now(), outcome="done")
    event = note(
        Actor.of(operator), Action.BACKUP_REQUESTED, server_id=12345, server_name="web-server-01"
    )
    apprise = AppriseUrl.objects.create(
        user=operator, name="chat", ciphertext=encrypt("ntfys://ntfy.sh/x"), masked="ntfys://…"
    )
    key = Authenticator.objects.create(
        user=operator, type=Authenticator.Type.WEBAUTHN, data={"name": "key", "credential": {}}
    )
    clients = {ANON: FormClient()}
    for viewer, user in {
        SUPPORT: support,
        OPERATOR: operator,
        AUDITOR: auditor,
        STRANGER: other_operator,
    }.items():
        clients[viewer] = FormClient()
        clients[viewer].force_login(user)
        assert clients[viewer].get("/backups/").status_code == 200
    ids = {
        "backup": backup.id,
        "server": 12345,
        "job": job.pk,
        "bulk": bulk.pk,
        "plan": plan.pk,
        "run": run.pk,
        "event": event.pk,
        "apprise": apprise.pk,
        "key": key.pk,
    }
    return clients, ids, UpstreamLog(sandbox)


def filled(template, ids):
    return template.format(**ids) if isinstance(template, str) else template


def walk(acme, route: Route, method: str, viewer: str):
    """One viewer's request; checks what reached the API while it ran, returns the answer."""
    clients, ids, log = acme
    memory.clear()  # no list remembered: whatever a page needs of the API, it asks for now
    log.clear()
    path = filled(route.path, ids)
    if method == "get":
        answer = clients[viewer].get(path)
    else:
        data = {k: filled(v, ids) for k, v in route.data.items()}
        answer = clients[viewer].post(path.split("?")[0], data)
    own = OWN_TOKEN.get(viewer)
    assert [r for r in log.requests if r[2] != own] == [], f"someone else's token: {path}"
    if viewer == STRANGER or answer.status_code in NOT_HIS:
        assert log.changes() == [] or route.sends, f"a change sent: {path}"
    if route.history and viewer == STRANGER:
        assert log.requests == [], f"history read with a call upstream: {path}"
    # What was done is Support's own only; a page of one account shows only that account.
    reader = SUPPORT if route.history else STRANGER
    if route.absent and viewer == reader and answer.status_code == 200:
        body = b"".join(answer.streaming_content) if answer.streaming else answer.content
        shown = filled(route.absent, ids)
        assert shown not in body.decode(), f"{viewer} sees {shown} on {path}"
    return answer.status_code


ALL_ROUTES = {**PATH_IDS, **QUERY_IDS}


@pytest.mark.parametrize("name", list(ALL_ROUTES))
def test_it_answers_every_viewer_of_a_route_with_an_id_and_calls_only_with_their_own_token(
    acme, name
):
    route = ALL_ROUTES[name]
    got = {viewer: walk(acme, route, "get", viewer) for viewer in VIEWERS}
    assert got == route.get
    posted = {viewer: walk(acme, route, "post", viewer) for viewer in route.post}
    assert posted == route.post


def test_it_keeps_everyone_but_staff_out_of_the_admins_pages_with_ids(acme):
    clients, _ids, log = acme
    refused = {}
    for path in admin_paths():
        for viewer in VIEWERS:
            status = clients[viewer].get(path).status_code
            if status != 302:
                refused[(path, viewer)] = status
    assert refused == {}
    assert log.requests == []
