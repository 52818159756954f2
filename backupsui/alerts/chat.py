"""Alerts to chat and paging services through Apprise (Slack, Teams, Telegram, ntfy, Matrix,
Discord, PagerDuty…): only the services the operator allows (BACKUPSUI_APPRISE_SCHEMES). A
sending is bounded by the delivery's deadline: Apprise's own connect and read timeouts, and
the worker waits no longer than the deadline for it. A sending still going then (a service
answering a byte at a time never lets a read timeout fire) counts as failed, and its thread
ends too: the sockets it connected are shut down under it (deadline.sockets_of_this_thread)."""

import logging
import threading

import apprise
from django.conf import settings
from django.utils.translation import gettext_noop as _

from backupsui.accounts.crypto import TokenKeyError
from backupsui.words import Sentence

from .deadline import Cutoff, Deadline, sockets_of_this_thread

# Apprise's own log lines may carry a URL and its secrets: each outcome is logged by the
# panel instead (delivery.py), without the URL.
logging.getLogger("apprise").disabled = True


def scheme_of(url: str) -> str:
    return url.split("://", 1)[0].strip().lower() if "://" in url else ""


def refusal(url: str) -> Sentence | None:
    """Why this URL may not receive alerts, or None."""
    scheme = scheme_of(url)
    if not scheme:
        return Sentence(_("That is not an Apprise URL (it starts with service://)."))
    if scheme not in settings.BACKUPSUI_APPRISE_SCHEMES:
        return Sentence(
            _("Alerts cannot go to %(scheme)s:// URLs here. Allowed: %(allowed)s."),
            scheme=scheme[:20],
            allowed=", ".join(f"{s}://" for s in settings.BACKUPSUI_APPRISE_SCHEMES),
        )
    if apprise.Apprise.instantiate(url, suppress_exceptions=True) is None:
        return Sentence(_("Apprise cannot read that URL; check it against the service's page."))
    return None


def masked(url: str) -> str:
    """What may be shown of the URL: Apprise's own privacy form, without its options."""
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    shown = plugin.url(privacy=True) if plugin is not None else f"{scheme_of(url)}://…"
    return shown.split("?", 1)[0][:300]


def send(channel, alert, deadline: Deadline) -> tuple[bool, Sentence]:
    try:
        url = channel.url()
    except TokenKeyError:
        return False, Sentence(_("This URL cannot be read with the configured keys."))
    refused = refusal(url)
    if refused is not None:
        return False, refused
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    plugin.socket_connect_timeout = plugin.socket_read_timeout = max(0.1, deadline.left())
    body = "\n".join(str(line) for line in alert.lines)
    title = " ".join(str(alert.subject).split())
    result = {}
    cutoff = Cutoff(deadline)

    def run():
        try:
            with sockets_of_this_thread(cutoff):
                result["ok"] = bool(plugin.notify(body=body, title=title))
        except Exception:  # noqa: BLE001 - a plugin's bug is a failed sending, not a crash
            result["ok"] = False

    sender = threading.Thread(target=run, name="apprise-send", daemon=True)
    sender.start()
    sender.join(deadline.left())
    if sender.is_alive():
        cutoff.fire()  # its reads and writes fail at once: the thread ends
        return False, Sentence(
            _("The service did not answer within %(seconds)s seconds."),
            seconds=f"{settings.BACKUPSUI_ALERT_TIMEOUT:g}",
        )
    if result.get("ok"):
        return True, Sentence(_("Sent."))
    return False, Sentence(_("The service did not take the alert."))
