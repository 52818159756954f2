"""Every URL pattern, walked as anonymous, support and operator, with the expected status."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.helpers import FormClient, completed_backup

ANON, SUPPORT, OPERATOR = "anonymous", "support", "operator"

# name: (method, path, {role: expected status})
MATRIX = {
    "login": ("get", "/accounts/login/", {ANON: 200, SUPPORT: 302, OPERATOR: 302}),
    "logout": ("get", "/accounts/logout/", {ANON: 405, SUPPORT: 405, OPERATOR: 405}),
    "accounts:token": ("get", "/account/token/", {ANON: 302, SUPPORT: 200, OPERATOR: 200}),
    "accounts:token_remove": (
        "get",
        "/account/token/remove/",
        {ANON: 302, SUPPORT: 200, OPERATOR: 200},
    ),
    "backups:list": ("get", "/backups/", {ANON: 302, SUPPORT: 200, OPERATOR: 200}),
    "backups:poll": (
        "get",
        "/backups/poll/?watch=12345:1",
        {ANON: 302, SUPPORT: 200, OPERATOR: 200},
    ),
    "backups:create": ("get", "/backups/new/", {ANON: 302, SUPPORT: 200, OPERATOR: 200}),
    "backups:delete": (
        "get",
        "/backups/{backup}/delete/?server_id=12345",
        {ANON: 302, SUPPORT: 403, OPERATOR: 200},
    ),
    "backups:restore": (
        "get",
        "/servers/12345/restore/?backup_id={backup}",
        {ANON: 302, SUPPORT: 200, OPERATOR: 200},
    ),
    "audit:list": ("get", "/audit/", {ANON: 302, SUPPORT: 200, OPERATOR: 200}),
    "audit:export": ("get", "/audit/export.csv", {ANON: 302, SUPPORT: 200, OPERATOR: 200}),
    "healthz": ("get", "/healthz", {ANON: 200, SUPPORT: 200, OPERATOR: 200}),
    "readyz": ("get", "/readyz", {ANON: 200, SUPPORT: 200, OPERATOR: 200}),
    "": ("get", "/", {ANON: 302, SUPPORT: 302, OPERATOR: 302}),
    "admin": ("get", "/admin/", {ANON: 302, SUPPORT: 302, OPERATOR: 302}),
}
# Changes, by POST: what each role may do.
CHANGES = [
    ("post", "/backups/new/", {"server_id": 12345}, {ANON: 302, SUPPORT: 302, OPERATOR: 302}),
    (
        "post",
        "/backups/{backup}/delete/",
        {"server_id": 12345},
        {ANON: 302, SUPPORT: 403, OPERATOR: 302},
    ),
    (
        "post",
        "/servers/12345/restore/",
        {"backup_id": "{backup}", "confirm": "web-server-01"},
        {ANON: 302, SUPPORT: 302, OPERATOR: 302},
    ),
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
def clients(operator, support):
    as_support, as_operator = FormClient(), FormClient()
    as_support.force_login(support)
    as_operator.force_login(operator)
    return {ANON: FormClient(), SUPPORT: as_support, OPERATOR: as_operator}


@pytest.mark.parametrize("name", list(MATRIX))
def test_it_answers_each_role_as_expected(sandbox, clients, name):
    method, path, expected = MATRIX[name]
    path = path.format(backup=completed_backup(sandbox).id)
    got = {role: getattr(client, method)(path).status_code for role, client in clients.items()}
    assert got == expected


@pytest.mark.parametrize(("method", "path", "data", "expected"), CHANGES)
def test_it_lets_each_role_change_only_what_it_may(sandbox, clients, method, path, data, expected):
    got = {}
    for role in (ANON, SUPPORT, OPERATOR):
        backup = completed_backup(sandbox).id
        filled = {k: v.format(backup=backup) if isinstance(v, str) else v for k, v in data.items()}
        got[role] = getattr(clients[role], method)(path.format(backup=backup), filled).status_code
    assert got == expected
