"""The weekly report by email, for those who asked on /reports/: the page's report (the same
code) for the seven whole days before the Monday it is due, due every Monday at 07:00 in the
panel's time zone (DJANGO_TIME_ZONE), sent by the alerts' round `weekly_report_round` in the
person's language.

Once per person and week, however many workers and schedulers run: a `WeeklyReport` row
(unique per person and week) is inserted before the email goes, and whoever fails to insert it
sends nothing. Only the latest week due is ever sent: after workers stopped for three weeks a
person gets one email (the latest week's), not three. A week the list could not be read for is
tried again at the next round; once claimed, a week is not sent again (even if the sending
failed: better one missing email than two).

Only to people active and still allowed to read the report (Auditors and Operators) when the
email is due, and only weeks due after they asked for it."""

import logging
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from backupsui.accounts.models import Preference, WeeklyReport
from backupsui.backups import report
from backupsui.backups.account import NoToken, account_for
from backupsui.backups.forms import ReportForm
from backupsui.claims import claim
from backupsui.upstream import UpstreamError
from backupsui.words import english

from .deadline import Deadline
from .delivery import send_email

logger = logging.getLogger("backupsui.alerts")

PERMISSION = "audit.view_all_events"  # the report page's own
WEEKDAY = 0  # Monday
AT = time(7, 0)  # in the panel's time zone


def due(now: datetime) -> tuple[date, datetime]:
    """The week most recently due at `now`: its Monday and the moment (07:00 there)."""
    zone = timezone.get_default_timezone()
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=(today.weekday() - WEEKDAY) % 7)
    moment = datetime.combine(monday, AT, tzinfo=zone)
    if moment > now:
        monday -= timedelta(days=7)
        moment = datetime.combine(monday, AT, tzinfo=zone)
    return monday, moment


def period(monday: date, now: datetime) -> tuple[datetime, datetime]:
    """The seven whole days before `monday`, as the report page works out a chosen period."""
    form = ReportForm({"since": monday - timedelta(days=7), "until": monday - timedelta(days=1)})
    return form.period(now)


def send_due(now: datetime | None = None) -> int:
    """One round: the latest week due, to everyone who asked and has not had it. Returns how
    many emails went."""
    now = now or timezone.now()
    monday, moment = due(now)
    waiting = (
        Preference.objects.filter(
            weekly_report_since__lte=moment, user__is_active=True, user__email__gt=""
        )
        .exclude(user__weekly_reports__week=monday)
        .select_related("user")
        .order_by("user_id")
    )
    sent = 0
    with timezone.override(timezone.get_default_timezone()):
        for preference in waiting:
            if preference.user.has_perm(PERMISSION):
                sent += send_week(preference, monday, now)
    return sent


def send_week(preference: Preference, monday: date, now: datetime) -> bool:
    user = preference.user
    start, end = period(monday, now)
    try:
        built = report.for_person(account_for(user), start, end)
    except NoToken:
        return _claim(user, monday, now, "no token") and False
    except UpstreamError as error:
        if error.token_refused:
            return _claim(user, monday, now, "token refused") and False
        logger.warning("weekly report of %s: the list could not be read: %s", user, error.message)
        return False  # the next round tries again
    if not _claim(user, monday, now, ""):
        return False  # another worker has it
    language = preference.language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {"user": user, "report": built, "last_day": end - timedelta(days=1)}
        subject = _("Backups report for %(start)s – %(end)s") % {
            "start": f"{start:%Y-%m-%d}",
            "end": f"{context['last_day']:%Y-%m-%d}",
        }
        body = render_to_string("alerts/weekly_report.txt", context)
        html = render_to_string("alerts/weekly_report.html", context)
        ok, outcome = send_email(user, subject, body, Deadline(), html=html)
    WeeklyReport.objects.filter(user=user, week=monday).update(outcome="sent" if ok else "failed")
    logger.info("weekly report of %s for %s: %s", user, monday, english(outcome))
    return ok


def _claim(user, monday: date, now: datetime, outcome: str) -> bool:
    """The week for this person, if nobody has claimed it yet."""
    if not claim(WeeklyReport, user=user, week=monday, claimed_at=now, outcome=outcome):
        return False
    if outcome:
        logger.warning("weekly report of %s for %s not sent: %s", user, monday, outcome)
    return True
