"""A signed-in person's permissions in one query a request. Django's ModelBackend asks two (the
person's own, their groups') the first time anything asks has_perm, and keeps the union on the
user object for the rest of the request (`_perm_cache`); every page asks (the views'
decorators, the menu, what a table offers). Here the same union comes in one read, compiled
once (backupsui.compiled), put where ModelBackend looks for it before anything asks.
Superusers (has_perm says yes to them before any backend is asked) and inactive people (no
backend gives them any) are left as they are."""

from django.contrib.auth.models import Permission
from django.db.models import Q

from backupsui.compiled import Compiled

_permissions = Compiled(
    lambda user_id: (
        Permission.objects.filter(Q(user=user_id) | Q(group__user=user_id))
        .values_list("content_type__app_label", "codename")
        .distinct()
        .order_by()
    )
)


def permissions_of(user) -> set[str]:
    """ "app_label.codename" of every permission the person has, their groups' included."""
    return {f"{app}.{codename}" for app, codename in _permissions.rows(user.pk)}


class PermissionsMiddleware:
    """After AuthenticationMiddleware: loads the person's permissions in one query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.is_active
            and not user.is_superuser
            and not hasattr(user, "_perm_cache")
        ):
            user._perm_cache = permissions_of(user)
        return self.get_response(request)
