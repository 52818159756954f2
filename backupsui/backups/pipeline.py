"""The one way a confirmed change is carried out from a form (create, delete, restore; bulk
and plan actions later): claim the form's idempotency key, make the change as the person,
show the form again with a fresh key when the API refuses, and send the browser on, the same
way for htmx and plain requests."""

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from backupsui.audit.actors import Actor
from backupsui.http import HtmxHttpRequest, redirect_for
from backupsui.upstream import UpstreamError

from .models import AlreadySent, FormKey, StaleForm
from .restores import RestoreBusy


def carry_out(
    request: HtmxHttpRequest,
    form,
    change: Callable[[Actor, FormKey], str],
    again: Callable[..., HttpResponse],
) -> HttpResponse:
    """`change(actor, key)` makes the change and says where to go next (it leaves its own
    message); `again(status, **context)` shows the form once more."""
    try:
        key = form.claim()
    except StaleForm:
        form.add_error(
            None,
            _(
                "This form was not sent whole, or it has expired; nothing was changed. "
                "Check it and send it again."
            ),
        )
        form.renew_key()
        return again(400)
    except AlreadySent as sent:
        return already_sent(request, sent.first)
    try:
        where = change(Actor.from_request(request), key)
    except UpstreamError as error:
        form.refused(error)
        return again(status_for(error), error=error)
    except RestoreBusy as busy:  # someone else's restore came first: nothing was sent
        form.renew_key()
        return again(409, busy=busy.holder)
    return redirect_for(request, where)


def status_for(error: UpstreamError) -> int:
    """The status of a page that shows the API's refusal: its own 400 or 404, else 502."""
    if error.status in (400, 404):
        return error.status
    return 502


def already_sent(request: HtmxHttpRequest, first: FormKey) -> HttpResponse:
    """A form posted again (a double click, a retry, another tab): what the first post did."""
    event = first.event
    if event is None:
        messages.info(
            request,
            _("This form was sent a moment ago and is being carried out; it was not sent twice."),
        )
        return redirect_for(request, reverse("backups:list"))
    messages.info(
        request,
        format_html(
            '{} <a href="{}">{}</a>',
            _("This form was already sent (%(action)s: %(outcome)s); it was not sent twice.")
            % {"action": event.get_action_display(), "outcome": event.get_outcome_display()},
            reverse("audit:list") + f"?event={event.pk}",
            _("See it in the audit trail."),
        ),
    )
    where = f"?server_id={event.server_id}" if event.server_id else ""
    return redirect_for(request, reverse("backups:list") + where)
