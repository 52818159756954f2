"""The alerts' work, on their own queue ("alerts", run by `manage.py worker --queue-name
alerts`), so that a slow receiver never holds up a restore job."""

import logging

from django.tasks import task

from . import watch
from .models import Subscription

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
def send_test_alert(user_id: int) -> str:
    """The "Send a test alert" button's work, off the request (a webhook may take seconds)."""
    subscription = Subscription.objects.select_related("user").get(user_id=user_id)
    return watch.send_test_alert(subscription)
