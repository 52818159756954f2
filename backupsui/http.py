"""The request type the views receive: Django's, with django-htmx's details and our panel."""

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from backupsui.backups.panel import Panel


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
    request_id: str


class PanelRequest(HtmxHttpRequest):
    panel: "Panel"
