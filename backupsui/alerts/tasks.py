from django.tasks import task

from .models import Subscription
from .watch import test_alert


@task()
def send_test_alert(user_id: int) -> str:
    """The "Send a test alert" button's work, off the request (a webhook may take seconds)."""
    subscription = Subscription.objects.select_related("user").get(user_id=user_id)
    return test_alert(subscription)
