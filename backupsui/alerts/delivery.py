"""Sending a person's alerts: by email to their address, as a signed JSON POST to their
webhook (webhook.py) and to each of their Apprise URLs (chat.py), in their language.

Every way of one person's alerts goes at once, within one deadline
(BACKUPSUI_ALERT_TIMEOUT): the email from this process, its connection cut at the deadline;
the webhook and the Apprise URLs from a child process ended at the deadline (sender.py). So
one person's slow receivers delay the next person's alerts by the deadline at most. Each
way's outcome is kept per alert: delivered or not delivered, and when; what answered (an
HTTP status, an error) is written to the server's log only."""

import json
import logging
import threading
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_noop as _

from backupsui import outbound
from backupsui.accounts.crypto import TokenKeyError
from backupsui.accounts.models import Preference
from backupsui.words import Sentence, english

from . import chat, sender, webhook
from .deadline import Cutoff, Deadline
from .models import Delivery, Tally
from .sender import Outcome

logger = logging.getLogger("backupsui.alerts")

EMAILED = _("Emailed.")
NOT_EMAILED = _("The email could not be sent.")
NO_ADDRESS = _("No email address on the account.")
SECRET_UNREADABLE = _("The webhook's secret cannot be read with the configured keys.")
URL_UNREADABLE = _("This URL cannot be read with the configured keys.")
# After the deadline, what the email's thread is given to notice its connection was cut.
GRACE_SECONDS = 0.5


@dataclass
class Alert:
    kind: str  # "backup_failed", "backup_odd", "server_bad", "server_recovered", "digest", …
    subject: Sentence  # words are put in the person's language when sent
    lines: list[Sentence]
    items: list[dict]

    def __post_init__(self):
        # Kept on each delivery's row (Delivery.kind): a longer kind would fail there, after
        # the alert went out.
        limit = Delivery._meta.get_field("kind").max_length
        if len(self.kind) > limit:
            raise ValueError(f"an alert's kind has at most {limit} characters: {self.kind!r}")


def webhook_refusal(url: str) -> Sentence | None:
    """Why this URL may not receive alerts (checked now, by this deployment's rule), or
    None."""
    try:
        webhook.address_for(url, outbound.rule(), plain_http=settings.DEBUG)
    except outbound.Refused as refused:
        return refused.why
    return None


def _language(user) -> str:
    return (
        Preference.objects.filter(user=user).values_list("language", flat=True).first()
        or settings.LANGUAGE_CODE
    )


def deliver(subscription, alert: Alert, only=None) -> Sentence:
    """One alert, every way the person asked for (or only to the Apprise URL `only`)."""
    return deliver_all(subscription, [alert], only=only)[0]


def deliver_all(subscription, alerts: list[Alert], only=None) -> list[Sentence]:
    """Sends the alerts every way the person asked for (or only to the Apprise URL
    `only`), all ways side by side within one BACKUPSUI_ALERT_TIMEOUT; keeps and logs each
    way's outcome, and returns what happened to each alert."""
    user = subscription.user
    ways: list[tuple[str, str, Sentence]] = []  # channel, name, what "not delivered" says
    outcomes: dict[tuple[int, int], Outcome] = {}
    sending: list[tuple[int, object]] = []  # (way, what the child sends)
    emails = None

    def failed_all(number: int, said: Sentence, detail: str) -> None:
        for index in range(len(alerts)):
            outcomes[number, index] = Outcome(False, said, detail)

    with translation.override(_language(user)):
        if only is None and subscription.by_email:
            ways.append((Delivery.EMAIL, "", Sentence(NOT_EMAILED)))
            if user.email:
                emails = (len(ways) - 1, [_email(user, alert) for alert in alerts])
            else:
                failed_all(len(ways) - 1, Sentence(NO_ADDRESS), "no address")
        if only is None and subscription.webhook_url:
            ways.append((Delivery.WEBHOOK, "", Sentence(webhook.NOT_DELIVERED)))
            try:
                secret = subscription.secret()
            except TokenKeyError:
                failed_all(len(ways) - 1, Sentence(SECRET_UNREADABLE), "secret unreadable")
            else:
                way = webhook.WebhookWay(
                    url=subscription.webhook_url,
                    secret=secret,
                    bodies=[_webhook_body(alert) for alert in alerts],
                    plain_http=settings.DEBUG,
                    tries=webhook.TRIES,
                    backoff=webhook.BACKOFF_SECONDS,
                )
                sending.append((len(ways) - 1, way))
        for channel in [only] if only is not None else user.apprise_urls.all():
            not_delivered = Sentence(chat.NOT_DELIVERED, name=channel.name)
            ways.append((Delivery.APPRISE, channel.name, not_delivered))
            try:
                url = channel.url()
            except TokenKeyError:
                failed_all(len(ways) - 1, Sentence(URL_UNREADABLE), "URL unreadable")
                continue
            way = chat.AppriseWay(
                name=channel.name,
                url=url,
                messages=[_chat_message(alert) for alert in alerts],
                schemes=tuple(settings.BACKUPSUI_APPRISE_SCHEMES),
            )
            sending.append((len(ways) - 1, way))

    if sending:
        sender.ready()  # the first time in this process: before the deadline starts
    deadline = Deadline()
    mailed: dict[tuple[int, int], Outcome] = {}
    mailing = None
    if emails is not None:
        mailing = threading.Thread(
            target=_send_emails, args=(user, emails, deadline, mailed), daemon=True
        )
        mailing.start()
    try:
        came = sender.side_by_side([way for _n, way in sending], outbound.rule(), deadline)
    except OSError as error:  # no child process could be started
        logger.error("alerts to %s: cannot start sending: %s", user.get_username(), error)
        came = {}
    for (index, alert), outcome in came.items():
        outcomes[sending[index][0], alert] = outcome
    if mailing is not None:
        mailing.join(deadline.left() + GRACE_SECONDS)
        outcomes.update(dict(mailed))  # what a late thread adds afterwards is not counted
    return [_keep(user, alert, index, ways, outcomes) for index, alert in enumerate(alerts)]


def _keep(user, alert: Alert, index: int, ways: list, outcomes: dict) -> Sentence:
    """Logs and keeps each way's outcome of one alert; what it says, all ways together."""
    said, rows, failed = Sentence(), [], 0
    for number, (channel, name, not_delivered) in enumerate(ways):
        outcome = outcomes.get((number, index))
        if outcome is None:
            broke = outcomes.get((number, sender.BROKE))
            outcome = Outcome(False, not_delivered, broke.detail if broke else "timed out")
        said += outcome.said
        failed += not outcome.ok
        rows.append((channel, name, (outcome.ok, outcome.said)))
        logger.log(
            logging.INFO if outcome.ok else logging.WARNING,
            json.dumps(
                {
                    "alert": alert.kind,
                    "user": user.get_username(),
                    "channel": f"{channel}:{name}" if name else channel,
                    "items": len(alert.items),
                    "ok": outcome.ok,
                    "outcome": english(outcome.said),
                    "detail": outcome.detail,
                },
                ensure_ascii=False,
            ),
        )
    Delivery.keep(user, alert, rows)
    if failed:
        Tally.add(Tally.ALERTS_FAILED, failed)
    return said


def _webhook_body(alert: Alert) -> bytes:
    return json.dumps(
        {
            "type": alert.kind,
            "subject": str(alert.subject),
            "alerts": alert.items,
            "sent_at": timezone.now().isoformat(),
        },
        ensure_ascii=False,
    ).encode()


def _chat_message(alert: Alert) -> tuple[str, str]:
    title = " ".join(str(alert.subject).split())
    return title, "\n".join(str(line) for line in alert.lines)


def _email(user, alert: Alert) -> EmailMultiAlternatives:
    body = render_to_string("alerts/email.txt", {"user": user, "alert": alert})
    return _message(user, str(alert.subject), body)


def _message(user, subject: str, body: str, html: str | None = None):
    subject = " ".join(subject.split())  # one line, whatever a server is called
    message = EmailMultiAlternatives(subject[:200], body, None, [user.email])
    if html is not None:
        message.attach_alternative(html, "text/html")
    return message


def send_email(
    user, subject: str, body: str, deadline: Deadline, html: str | None = None
) -> tuple[bool, Sentence]:
    """One email to the person's address (with an HTML alternative if given), all of it
    within the deadline; what happened, to keep and to show."""
    if not user.email:
        return False, Sentence(NO_ADDRESS)
    got: dict[tuple[int, int], Outcome] = {}
    _send_emails(user, (0, [_message(user, subject, body, html)]), deadline, got)
    outcome = got.get((0, 0), Outcome(False, Sentence(NOT_EMAILED), "timed out"))
    return outcome.ok, outcome.said


def _send_emails(user, emails: tuple[int, list], deadline: Deadline, got: dict) -> None:
    """The messages in turn over one connection to the mail server, each step bounded by
    the mail library's timeout and the whole by the deadline (the connection's socket is
    shut then); each one sent goes into `got` as (way, alert) -> Outcome."""
    number, messages = emails
    connection = mailers.default
    if hasattr(connection, "timeout"):  # SMTP
        connection.timeout = max(0.1, min(connection.timeout or deadline.left(), deadline.left()))
    try:
        with Cutoff(deadline) as cutoff:
            connection.open()
            cutoff.watch(getattr(getattr(connection, "connection", None), "sock", None))
            try:
                for index, message in enumerate(messages):
                    connection.send_messages([message])
                    if deadline.passed:
                        break
                    got[number, index] = Outcome(True, Sentence(EMAILED), "sent")
            finally:
                connection.close()
    except (OSError, ValueError) as error:
        logger.warning("email to %s failed: %s", user.get_username(), type(error).__name__)
