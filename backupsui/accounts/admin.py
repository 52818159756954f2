"""The admin: who has a token (never the token), and people's roles, each change audited."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from backupsui.audit.actors import Actor
from backupsui.audit.models import Action
from backupsui.audit.recorder import note

from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Shows who has a token and when it worked; never the token. Removing one is audited."""

    list_display = ("user", "last4", "saved_at", "last_accepted_at")
    fields = ("user", "last4", "saved_at", "last_accepted_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def delete_model(self, request, obj):
        self.delete_queryset(request, ApiToken.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        owners = [token.user.get_username() for token in queryset.select_related("user")]
        super().delete_queryset(request, queryset)
        for owner in owners:
            note(
                Actor.from_request(request),
                Action.TOKEN_REMOVED,
                message=f"The API token of {owner} was removed in the admin.",
            )


User = get_user_model()


class AuditedUserAdmin(UserAdmin):
    """Django's user admin; a person's roles changed or an account deactivated goes on record."""

    def save_model(self, request, obj, form, change):
        was_active = change and User.objects.filter(pk=obj.pk, is_active=True).exists()
        super().save_model(request, obj, form, change)
        if was_active and not obj.is_active:
            note(
                Actor.from_request(request),
                Action.USER_DEACTIVATED,
                message=f"{obj.get_username()} was deactivated in the admin.",
            )

    def save_related(self, request, form, formsets, change):
        user = form.instance
        before = set(user.groups.values_list("name", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        after = set(user.groups.values_list("name", flat=True))
        if before != after:
            note(
                Actor.from_request(request),
                Action.ROLES_CHANGED,
                message=(
                    f"Roles of {user.get_username()} changed in the admin: "
                    f"{', '.join(sorted(before)) or 'none'} → {', '.join(sorted(after)) or 'none'}."
                ),
            )


admin.site.unregister(User)
admin.site.register(User, AuditedUserAdmin)
