"""The alerts' work, on their own queue ("alerts", run by `manage.py worker --queue-name
alerts`), so that a slow receiver never holds up a restore job."""

import logging

from django.contrib.auth import get_user_model
from django.tasks import task

from . import watch, weekly
from .models import AppriseUrl, Subscription

QUEUE = "alerts"
logger = logging.getLogger("backupsui.alerts")


@task(queue_name=QUEUE)
def alerts_round(slot: str = "") -> str:
    """The round for `slot` (when it was due, as `manage.py scheduler` claimed it): one look
    at each subscribed person's list."""
    sent = watch.watch_everyone()
    logger.info("alerts %s: %d alert(s) sent", slot, sent)
    return slot


@task(queue_name=QUEUE)
def weekly_report_round(slot: str = "") -> str:
    """The weekly reports' round: the latest week due (worked out from now, not from `slot`:
    rounds queued while the workers were away send one week, not each), to everyone who asked
    and has not had it."""
    sent = weekly.send_due()
    logger.info("weekly reports %s: %d sent", slot, sent)
    return slot


@task(queue_name=QUEUE)
def send_test_alert(user_id: int, apprise_id: int | None = None) -> str:
    """The "Send a test alert" buttons' work, off the request (a sending may take seconds):
    every way the person asked for, or one Apprise URL."""
    subscription = Subscription.objects.select_related("user").filter(user_id=user_id).first()
    if subscription is None:
        user = get_user_model().objects.get(pk=user_id)
        subscription = Subscription(user=user, by_email=False)
    only = None
    if apprise_id is not None:
        only = AppriseUrl.objects.filter(pk=apprise_id, user_id=user_id).first()
        if only is None:
            return "gone"
    return watch.send_test_alert(subscription, only=only)
