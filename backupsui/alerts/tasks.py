from django.tasks import task

from . import watch
from .models import Subscription


@task()
def send_test_alert(user_id: int) -> str:
    """The "Send a test alert" button's work, off the request (a webhook may take seconds)."""
    subscription = Subscription.objects.select_related("user").get(user_id=user_id)
    return watch.send_test_alert(subscription)
