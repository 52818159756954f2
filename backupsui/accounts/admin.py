from django.contrib import admin

from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Shows who has a token and when it worked; never the token."""

    list_display = ("user", "last4", "saved_at", "last_accepted_at")
    fields = ("user", "last4", "saved_at", "last_accepted_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False
