"""Random and hostile values in every form field and query parameter: never a 500, never an
unescaped payload in the page."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import body_of

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE x;--",
    "../../../etc/passwd",
    "..%2F..%2Fetc",
    "\x00",
    "a\x00b",
    "-1",
    "0",
    "1e309",
    "NaN",
    "9" * 40,
    str(2**63),
    str(-(2**63)),
    "１２３",
    "Ｓｅｒｖｅｒ",
    "😀" * 50,
    "{{7*7}}",
    "${jndi:ldap://x}",
    "%s%s%n",
    "A" * 10_000,
    "\r\nSet-Cookie: x=1",
    " ",
    "",
    "web-server-01\n",
    "javascript:alert(1)",
]
DANGEROUS = re.compile(r"<script>alert|<img src=x onerror")
values = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(max_size=300),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
CHECKS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

GETS = {
    "/backups/": ["server_id", "backup_type", "status", "q", "sort", "page"],
    "/backups/poll/": ["watch"],
    "/backups/new/": ["server_id"],
    "/servers/12345/restore/": ["backup_id"],
    "/backups/1/delete/": ["server_id"],
    "/audit/": ["user", "action", "outcome", "server_id", "since", "until", "event", "page"],
    "/audit/export.csv": ["user", "server_id", "since", "event"],
    "/account/token/": ["next"],
    "/servers/": ["health", "q", "sort", "page"],
    "/servers/export.csv": ["health", "q", "sort"],
}
POSTS = {
    "/backups/new/": ["server_id", "description"],
    "/servers/12345/restore/": ["backup_id", "confirm"],
    "/backups/1/delete/": ["server_id"],
    "/account/token/": ["token", "next"],
    "/accounts/login/": ["username", "password"],
}


def check(response):
    assert response.status_code < 500, response.status_code
    assert not DANGEROUS.search(body_of(response))


TARGETS = [("get", url, fields) for url, fields in GETS.items()] + [
    ("post", url, fields) for url, fields in POSTS.items()
]


@pytest.mark.parametrize(("method", "url", "fields"), TARGETS)
def test_it_survives_hostile_values_in_every_field(sandbox, operator_client, method, url, fields):
    send = getattr(operator_client, method)

    @CHECKS
    @given(st.fixed_dictionaries({name: values for name in fields}))
    def run(data):
        check(send(url, data))

    run()


@pytest.mark.parametrize(
    "path",
    [
        "/backups/..%2F..%2Fetc%2Fpasswd/delete/",
        "/backups/-1/delete/",
        "/backups/99999999999999999999999999/delete/",
        "/servers/0/restore/?backup_id=1",
        "/servers/99999999999999999999999/restore/?backup_id=1",
        "/backups/%00/delete/",
        "/servers/1%20OR%201=1/restore/",
        "/backups/<script>/delete/",
    ],
)
def test_it_survives_path_tricks_in_ids(sandbox, operator_client, support_client, path):
    check(operator_client.get(path))
    check(operator_client.post(path, {"server_id": 1, "backup_id": 1, "confirm": "x"}))


def test_it_records_the_largest_id_refused_to_a_role_without_the_permission(
    sandbox, support_client
):
    from backupsui.audit.models import AuditEvent

    response = support_client.post(f"/backups/{2**63 - 1}/delete/")
    assert response.status_code == 403
    assert AuditEvent.objects.get(action="permission_denied").backup_id == 2**63 - 1
    assert support_client.post(f"/backups/{2**63}/delete/").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/audit/?until=9999-12-31",
        "/audit/export.csv?until=9999-12-31",
        "/audit/?since=0001-01-01",
        "/backups/poll/?watch=%C2%B2:1",  # a superscript two is a digit, but not an id
        "/backups/poll/?watch=1:%D9%A3",  # an Arabic-Indic three
        "/accounts/login/?next=/accounts/login/",
    ],
)
def test_it_answers_the_inputs_that_once_gave_500s(sandbox, operator_client, url):
    check(operator_client.get(url))
