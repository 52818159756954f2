import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from backupsui.accounts import crypto
from backupsui.http import HtmxHttpRequest

from . import chat
from .forms import AppriseUrlForm, SubscriptionForm
from .models import AppriseUrl, Delivery, Subscription
from .tasks import send_test_alert

TEST_EVERY = timedelta(minutes=1)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("backups.view_backups", raise_exception=True)
def alerts(request: HtmxHttpRequest):
    """What to be told about (a failed backup, a server turned bad), and how."""
    if request.method == "POST":
        subscription, _created = Subscription.objects.get_or_create(user=request.user)
    else:  # reading writes nothing: a person who never saved sees the defaults
        subscription = Subscription.objects.filter(user=request.user).first()
        subscription = subscription or Subscription(user=request.user)
    form = SubscriptionForm(request.POST or None, instance=subscription)
    context = {
        "form": form,
        "subscription": subscription,
        "watch_minutes": f"{settings.BACKUPSUI_WATCH_MINUTES:g}",
        **_channels(request.user),
    }
    if request.method == "POST":
        if "test" in request.POST:
            # One test a minute per person: a test may keep a worker busy for seconds.
            since = timezone.now() - TEST_EVERY
            if Subscription.objects.filter(pk=subscription.pk, last_test_at__gte=since).exists():
                messages.warning(request, _("A test alert was sent less than a minute ago."))
            else:
                Subscription.objects.filter(pk=subscription.pk).update(last_test_at=timezone.now())
                send_test_alert.enqueue(request.user.pk)
                messages.info(
                    request,
                    _(
                        "A test alert is on its way; reload this page in a moment to see "
                        "how it went."
                    ),
                )
            return redirect("alerts:settings")
        if not form.is_valid():
            return render(request, "alerts/alerts.html", context, status=400)
        saved = form.save(commit=False)
        new_url = "webhook_url" in form.changed_data and saved.webhook_url
        if new_url or "new_secret" in request.POST:
            context["secret"] = secrets.token_urlsafe(32)
            saved.webhook_secret = crypto.encrypt(context["secret"])
        saved.save()
        messages.success(request, _("Your alert settings were saved."))
        if "secret" not in context:
            return redirect("alerts:settings")
    return render(request, "alerts/alerts.html", context)


def _channels(user, apprise_form=None) -> dict:
    """The Apprise URLs (masked), the last ten deliveries and each way's last failure."""
    return {
        "apprise_urls": AppriseUrl.objects.filter(user=user),
        "apprise_form": apprise_form or AppriseUrlForm(),
        "deliveries": Delivery.objects.filter(user=user).order_by("-sent_at", "-pk")[:10],
        "failures": Delivery.last_failures(user),
    }


@require_POST
@login_required
@permission_required("backups.view_backups", raise_exception=True)
def apprise_add(request: HtmxHttpRequest):
    """A new Apprise URL, encrypted before it is stored; only its masked form is shown."""
    form = AppriseUrlForm(request.POST)
    if not form.is_valid():
        subscription = Subscription.objects.filter(user=request.user).first()
        context = {
            "form": SubscriptionForm(instance=subscription or Subscription(user=request.user)),
            "subscription": subscription or Subscription(user=request.user),
            "watch_minutes": f"{settings.BACKUPSUI_WATCH_MINUTES:g}",
            **_channels(request.user, form),
        }
        return render(request, "alerts/alerts.html", context, status=400)
    url = form.cleaned_data["url"]
    Subscription.objects.get_or_create(user=request.user)  # alerts on failures, by default
    AppriseUrl.objects.create(
        user=request.user,
        name=form.cleaned_data["name"],
        ciphertext=crypto.encrypt(url),
        masked=chat.masked(url),
    )
    messages.success(request, _("The Apprise URL was added."))
    return redirect("alerts:settings")


@require_POST
@login_required
@permission_required("backups.view_backups", raise_exception=True)
def apprise_delete(request: HtmxHttpRequest, pk: int):
    get_object_or_404(AppriseUrl, pk=pk, user=request.user).delete()
    messages.success(request, _("The Apprise URL was removed."))
    return redirect("alerts:settings")


@require_POST
@login_required
@permission_required("backups.view_backups", raise_exception=True)
def apprise_test(request: HtmxHttpRequest, pk: int):
    """A test alert to this one URL, off the request; one a minute."""
    channel = get_object_or_404(AppriseUrl, pk=pk, user=request.user)
    since = timezone.now() - TEST_EVERY
    if (
        not AppriseUrl.objects.filter(pk=channel.pk)
        .exclude(last_test_at__gte=since)
        .update(last_test_at=timezone.now())
    ):
        messages.warning(request, _("A test alert was sent less than a minute ago."))
    else:
        send_test_alert.enqueue(request.user.pk, channel.pk)
        messages.info(
            request,
            _("A test alert is on its way; reload this page in a moment to see how it went."),
        )
    return redirect("alerts:settings")
