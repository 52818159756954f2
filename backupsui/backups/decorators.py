"""The decorator of every view that acts with the person's stored token."""

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backupsui.http import HtmxHttpRequest, redirect_for

from .account import Account, NoToken, UnreadableToken, account_for


class AccountRequest(HtmxHttpRequest):
    """A request of a view that acts with the person's token (see `account_view`)."""

    account: Account


def account_view(permission: str, methods: tuple[str, ...] = ("GET",)):
    """Only these methods, only signed in, only with the permission (403 otherwise), and
    with `request.account`; a person with no usable token (none, or one the keys no longer
    decrypt) is sent to the token page first (coming back afterwards to where they were)."""

    def decorate(view):
        @wraps(view)
        def with_account(request, *args, **kwargs):
            try:
                request.account = account_for(request.user)
            except UnreadableToken:  # the token page says so itself
                return redirect_for(request, _token_page(request))
            except NoToken:
                messages.info(request, _("Store your API token first: the panel acts with it."))
                return redirect_for(request, _token_page(request))
            return view(request, *args, **kwargs)

        guarded = permission_required(permission, raise_exception=True)(with_account)
        return require_http_methods(list(methods))(login_required(guarded))

    return decorate


def _token_page(request) -> str:
    return reverse("accounts:token") + "?" + urlencode({"next": request.get_full_path()})
