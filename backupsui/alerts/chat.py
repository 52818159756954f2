"""Alerts to chat and paging services through Apprise (Slack, Telegram, ntfy, Matrix,
Discord, PagerDuty…): only the services the operator allows (BACKUPSUI_APPRISE_SCHEMES),
never with certificate checks turned off, and only to addresses the outbound rule allows
(backupsui/outbound.py): the host a URL names is checked when it is saved; at each sending
every name Apprise resolves (the URL's host, a hosted service's own address, a server a
Matrix homeserver delegates to) is checked again and connected to as checked, in the
sending child process (sender.py). Without Django's settings, but for `refusal`'s defaults."""

import logging
from dataclasses import dataclass

import apprise
from django.utils.translation import gettext_noop as _

from backupsui import outbound
from backupsui.words import Sentence, untranslated

from .deadline import Deadline

# Apprise's own log lines may carry a URL and its secrets: each outcome is logged by the
# panel instead (delivery.py), without the URL.
logging.getLogger("apprise").disabled = True

# Services whose URLs name no server: Apprise sends to the service's own address (checked
# at each sending like any other). Every other scheme, one the operator adds included, is
# taken to send to the host its URL names.
HOSTED = frozenset(
    {
        "slack",
        "msteams",
        "tgram",
        "discord",
        "pagerduty",
        "opsgenie",
        "pover",
        "gchat",
        "splunk",
        "victorops",
        "wxteams",
        "webex",
        "pbul",
    }
)

DELIVERED = _("Delivered to %(name)s.")
NOT_DELIVERED = _("Not delivered to %(name)s.")
UNREADABLE = _("Apprise cannot read that URL; check it against the service's page.")


def scheme_of(url: str) -> str:
    return url.split("://", 1)[0].strip().lower() if "://" in url else ""


def _plugin(url: str):
    return apprise.Apprise.instantiate(url, suppress_exceptions=True)


def target(plugin, scheme: str) -> tuple[str, int] | None:
    """The host and port the URL sends to, or None for a hosted service (or a
    self-hosted one used in its hosted mode, ntfy.sh or t2bot.io). A port the URL
    names counts even where the service ignores it."""
    mode = str(getattr(plugin, "mode", "") or "").lower()
    if scheme in HOSTED or (scheme.startswith("ntfy") and mode == "cloud"):
        return None
    if scheme.startswith("matrix") and mode == "t2bot":
        return None
    if scheme == "zulip":  # zulip://bot@organization[.host]/token, always over https
        return f"{plugin.organization}.{plugin.hostname}", plugin.port or 443
    return str(plugin.host or "").strip("[]"), plugin.port or (443 if plugin.secure else 80)


def refusal(url: str, schemes=None, rule: outbound.Rule | None = None) -> Sentence | None:
    """Why this URL may not receive alerts, or None: the scheme must be allowed, Apprise
    must read it, certificate checks stay on, and the host it names passes the outbound
    rule (resolved now). `schemes` and `rule`: this deployment's by default."""
    if schemes is None:
        from django.conf import settings

        schemes = settings.BACKUPSUI_APPRISE_SCHEMES
    rule = rule or outbound.rule()
    scheme = scheme_of(url)
    if not scheme:
        return Sentence(_("That is not an Apprise URL (it starts with service://)."))
    if scheme not in schemes:
        return Sentence(
            _("Alerts cannot go to %(scheme)s:// URLs here. Allowed: %(allowed)s."),
            scheme=scheme[:20],
            allowed=", ".join(f"{s}://" for s in schemes),
        )
    plugin = _plugin(url)
    if plugin is None:
        return Sentence(UNREADABLE)
    if plugin.verify_certificate is not True:
        return Sentence(
            _("Certificate checks cannot be turned off (verify=no): alerts go over checked TLS.")
        )
    where = target(plugin, scheme)
    if where is not None:
        try:
            outbound.check(*where, rule)
        except outbound.Refused as refused:
            return refused.why
    return None


def masked(url: str) -> str:
    """What may be shown of the URL: Apprise's own privacy form, without its options."""
    plugin = _plugin(url)
    shown = plugin.url(privacy=True) if plugin is not None else f"{scheme_of(url)}://…"
    return shown.split("?", 1)[0][:300]


@dataclass
class AppriseWay:
    """Everything one Apprise URL's sending needs, ready made (titles and bodies in the
    person's language): handed to the sending child process."""

    name: str
    url: str
    messages: list[tuple[str, str]]  # (title, body) per alert
    schemes: tuple[str, ...]


def send(way: AppriseWay, deadline: Deadline, rule: outbound.Rule, report) -> None:
    """Each message in turn, after checking the URL again; `report(alert, ok, said,
    detail)` after each. In a process that called outbound.pin: every connection Apprise
    makes goes to addresses the rule allowed."""
    refused = refusal(way.url, way.schemes, rule)
    if refused is not None:
        for index in range(len(way.messages)):
            said = Sentence(NOT_DELIVERED, name=way.name) + refused
            report(index, False, said, f"refused: {untranslated(refused)}")
        return
    plugin = _plugin(way.url)
    plugin.verify_certificate = True
    plugin.redirects = False  # a redirect would carry the URL's credentials elsewhere
    for index, (title, body) in enumerate(way.messages):
        left = max(0.1, deadline.left())
        plugin.socket_connect_timeout = plugin.socket_read_timeout = left
        outbound.last_refusal.why = None
        try:
            ok = bool(plugin.notify(body=body, title=title))
        except Exception:  # noqa: BLE001 - a plugin's bug is a failed sending, not a crash
            ok = False
        refused = getattr(outbound.last_refusal, "why", None)
        if ok:
            report(index, True, Sentence(DELIVERED, name=way.name), "sent")
        elif refused is not None:
            said = Sentence(NOT_DELIVERED, name=way.name) + refused
            report(index, False, said, f"refused: {untranslated(refused)}")
        else:
            report(index, False, Sentence(NOT_DELIVERED, name=way.name), "not taken")
