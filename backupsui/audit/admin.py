from django.contrib import admin

from .models import FIELD_NAMES, AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is append-only, even for superusers."""

    list_display = ("created_at", "actor_username", "action", "server_name", "outcome")
    list_filter = ("action", "outcome")
    fields = readonly_fields = FIELD_NAMES[1:]
    search_fields = ("actor_username", "server_name", "=server_id", "=backup_id", "request_id")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
