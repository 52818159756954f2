"""Small helpers the view tests share."""

import re
from html import unescape
from urllib.parse import unquote

from backupsui.audit.models import AuditEvent


def text(response) -> str:
    return response.content.decode()


def row_ids(response) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="backup-(\d+)"', text(response))]


def poll_url(response) -> str | None:
    match = re.search(r'hx-get="(/backups/poll/[^"]*)"', text(response))
    return unquote(unescape(match.group(1))) if match else None


def events(action=None):
    found = AuditEvent.objects.all().order_by("id")
    return list(found.filter(action=action) if action else found)
