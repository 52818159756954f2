"""The navigation marks the part of the panel a page belongs to: a server's page, its restore
and its mute are the servers'; backing up several servers too; deleting several backups is
the list's."""

import re

from tests.helpers import completed_backup, text


def current(page: str) -> list[str]:
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', page, re.S)[1]
    return re.findall(r'<a href="[^"]*" aria-current="page">([^<]+)</a>', nav)


def test_it_marks_the_section_each_page_belongs_to(sandbox, operator_client):
    backup = completed_backup(sandbox)
    expected = {
        "/backups/": "Backups",
        "/backups/new/": "Backups",
        f"/backups/{backup.id}/delete/": "Backups",
        f"/backups/delete/?backup_id={backup.id}": "Backups",
        "/servers/": "Servers",
        "/servers/12345/": "Servers",
        f"/servers/12345/restore/?backup_id={backup.id}": "Servers",
        "/servers/12345/mute/": "Servers",
        "/servers/backup/?server_id=12345": "Servers",
        "/jobs/": "Jobs",
        "/plans/": "Plans",
        "/audit/": "Audit",
        "/reports/": "Reports",
        "/account/token/": "API token",
        "/accounts/2fa/": "Sign-in security",
        "/accounts/2fa/totp/activate/": "Sign-in security",
    }
    found = {url: current(text(operator_client.get(url))) for url in expected}
    assert found == {url: [section] for url, section in expected.items()}
