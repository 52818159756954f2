from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from backupsui.accounts.guards import reauthentication_required
from backupsui.audit.actors import Actor
from backupsui.backups.presenters import minutes_text
from backupsui.http import HtmxHttpRequest

from . import targets
from .forms import AppriseUrlForm, SubscriptionForm
from .models import AppriseUrl, Delivery, Subscription

# Every route here changes who is told what: each asks to confirm who you are when you last
# did longer than BACKUPSUI_REAUTH_MINUTES ago. The settings page (its forms carry secrets)
# asks before it is shown (accounts.guards.CONFIRM_FIRST); adding an Apprise URL (a secret
# in the form) asks, then wants the form again; removing and testing one are carried out
# once confirmed.


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
    context = _page(request.user, subscription, form)
    if request.method == "POST":
        actor = Actor.from_request(request)
        if "test" in request.POST:
            _tested(request, targets.send_test(actor, request.user))
            return redirect("alerts:settings")
        if not form.is_valid():
            return render(request, "alerts/alerts.html", context, status=400)
        secret = targets.save_settings(actor, form, new_secret="new_secret" in request.POST)
        messages.success(request, _("Your alert settings were saved."))
        if secret is None:
            return redirect("alerts:settings")
        context["secret"] = secret
    return render(request, "alerts/alerts.html", context)


def _page(user, subscription, form=None, apprise_form=None) -> dict:
    """The settings, the Apprise URLs (masked), the last ten deliveries and each way's
    last failure."""
    urls = AppriseUrl.objects.filter(user=user)
    return {
        "form": form or SubscriptionForm(instance=subscription),
        "subscription": subscription,
        "watch_minutes": minutes_text(settings.BACKUPSUI_WATCH_MINUTES),
        "apprise_urls": urls,
        "apprise_form": apprise_form or AppriseUrlForm(),
        "apprise_max": settings.BACKUPSUI_APPRISE_MAX,
        "apprise_full": len(urls) >= settings.BACKUPSUI_APPRISE_MAX,
        "deliveries": Delivery.objects.filter(user=user).order_by("-sent_at", "-pk")[:10],
        "failures": Delivery.last_failures(user),
    }


def _tested(request, sent: bool) -> None:
    if sent:
        messages.info(
            request,
            _("A test alert is on its way; reload this page in a moment to see how it went."),
        )
    else:
        messages.warning(request, _("A test alert was sent less than a minute ago."))


@require_POST
@login_required
@permission_required("backups.view_backups", raise_exception=True)
@reauthentication_required(replay=False)  # the form holds the URL's secrets
def apprise_add(request: HtmxHttpRequest):
    """A new Apprise URL, encrypted before it is stored; only its masked form is shown."""
    form = AppriseUrlForm(request.POST)
    if form.is_valid():
        try:
            targets.add_apprise_url(
                Actor.from_request(request),
                request.user,
                form.cleaned_data["name"],
                form.cleaned_data["url"],
            )
        except targets.TooMany:
            most = settings.BACKUPSUI_APPRISE_MAX
            form.add_error(
                None,
                ngettext(
                    "You have %(count)d Apprise URL, the most allowed: remove it first.",
                    "You have %(count)d Apprise URLs, the most allowed: remove one first.",
                    most,
                )
                % {"count": most},
            )
        else:
            messages.success(request, _("The Apprise URL was added."))
            return redirect("alerts:settings")
    subscription = Subscription.objects.filter(user=request.user).first()
    subscription = subscription or Subscription(user=request.user)
    context = _page(request.user, subscription, apprise_form=form)
    return render(request, "alerts/alerts.html", context, status=400)


@require_POST
@login_required
@permission_required("backups.view_backups", raise_exception=True)
@reauthentication_required
def apprise_delete(request: HtmxHttpRequest, pk: int):
    channel = get_object_or_404(AppriseUrl, pk=pk, user=request.user)
    targets.remove_apprise_url(Actor.from_request(request), channel)
    messages.success(request, _("The Apprise URL was removed."))
    return redirect("alerts:settings")


@require_POST
@login_required
@permission_required("backups.view_backups", raise_exception=True)
@reauthentication_required
def apprise_test(request: HtmxHttpRequest, pk: int):
    """A test alert to this one URL, off the request; one a minute."""
    channel = get_object_or_404(AppriseUrl, pk=pk, user=request.user)
    _tested(request, targets.send_test(Actor.from_request(request), request.user, channel))
    return redirect("alerts:settings")
