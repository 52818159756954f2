"""Muting a server's alerts for a stated time (maintenance): nobody is alerted about it until
then. Every mute and unmute is audited."""

from datetime import timedelta

from django.utils import timezone

from backupsui.audit import recorder
from backupsui.audit.actors import Actor
from backupsui.audit.models import Action

from .models import ServerState


def mute_server(actor: Actor, server, hours: float) -> ServerState:
    """Mutes the server (a ServerHealth of the person's list) for `hours`; 0 unmutes."""
    now = timezone.now()
    until = now + timedelta(hours=hours) if hours > 0 else None
    state, _created = ServerState.objects.get_or_create(
        server_id=server.id,
        defaults={"name": server.name[:255], "last_seen_at": now, "health": server.health},
    )
    ServerState.objects.filter(pk=state.pk).update(muted_until=until)
    state.muted_until = until
    if until is None:
        recorder.note(actor, Action.SERVER_UNMUTED, server_id=server.id, server_name=server.name)
    else:
        recorder.note(
            actor,
            Action.SERVER_MUTED,
            server_id=server.id,
            server_name=server.name,
            message=f"muted until {until:%Y-%m-%d %H:%M} UTC ({hours:g} h)",
        )
    return state


def muted_until(server_ids, now=None) -> dict[int, object]:
    """The servers among these that are muted now, and until when."""
    now = now or timezone.now()
    rows = ServerState.objects.filter(server_id__in=list(server_ids), muted_until__gt=now)
    return dict(rows.values_list("server_id", "muted_until"))
