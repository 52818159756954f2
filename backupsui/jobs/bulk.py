"""Many changes at once, in a background worker: backing up many servers, or deleting many
backups. Each item is claimed (`sending`) and tied to its audit event before the call, so it
is sent at most once whatever restarts or runs beside; one item's failure never stops the
others."""

from django.db import transaction
from django.tasks import task
from django.utils.translation import gettext_noop as _

from backupsui.audit.actors import Actor
from backupsui.audit.recorder import outcome_of
from backupsui.backups import commands
from backupsui.backups.account import NoToken, UnreadableToken, account_for
from backupsui.plans import kept
from backupsui.upstream import Backup, UpstreamError
from backupsui.words import Sentence, english

from .models import BulkItem, BulkRequest

State = BulkItem.State


def _start(actor: Actor, kind: str, items: list[BulkItem], description: str = ""):
    """The request and its items, then its work queued (once the rows are committed)."""
    with transaction.atomic():
        bulk = BulkRequest.objects.create(
            kind=kind,
            user=actor.user,
            description=description,
            remote_addr=actor.remote_addr,
            user_agent=actor.user_agent,
            request_id=actor.request_id,
        )
        for item in items:
            item.bulk = bulk
        BulkItem.objects.bulk_create(items)
        transaction.on_commit(lambda: carry_out_bulk.enqueue(bulk.pk))
    return bulk


def back_up(actor: Actor, servers: list[tuple[int, str]], description: str) -> BulkRequest:
    """A backup of each server."""
    items = [BulkItem(server_id=sid, server_name=name[:255]) for sid, name in servers]
    return _start(actor, BulkRequest.Kind.CREATE, items, description)


def delete(actor: Actor, backups: list[Backup]) -> BulkRequest:
    """The deletion of each backup."""
    items = [
        BulkItem(server_id=b.server.id, server_name=b.server.name[:255], backup_id=b.id)
        for b in backups
    ]
    return _start(actor, BulkRequest.Kind.DELETE, items)


class _ItemKey:
    """Ties an item to its create's audit event as soon as the event is written."""

    def __init__(self, item: BulkItem):
        self.item = item

    def attach(self, event) -> None:
        BulkItem.objects.filter(pk=self.item.pk).update(event=event)


def _actor(bulk: BulkRequest) -> Actor:
    return Actor(
        user=bulk.user,
        username=bulk.user.get_username(),
        remote_addr=bulk.remote_addr,
        user_agent=bulk.user_agent,
        request_id=bulk.request_id,
    )


@task()
def carry_out_bulk(bulk_id: int) -> str:
    bulk = BulkRequest.objects.select_related("user").get(pk=bulk_id)
    try:
        account = account_for(bulk.user)
    except NoToken as missing:
        why = (
            _("Your stored token can no longer be read (the keys changed), so nothing was sent.")
            if isinstance(missing, UnreadableToken)
            else _("Your API token is gone, so nothing was sent.")
        )
        BulkItem.objects.filter(bulk=bulk, state=State.PENDING).update(
            state=State.FAILED, detail=Sentence(why).dumps()
        )
        return "no token"
    actor = _actor(bulk)
    sent = 0
    shown = []  # the list, fetched once for every deletion (each deletion renews the cache key)
    for item in BulkItem.objects.filter(bulk=bulk, state=State.PENDING):
        if not BulkItem.objects.filter(pk=item.pk, state=State.PENDING).update(state=State.SENDING):
            continue  # another worker has it
        try:
            done = _one(bulk, account, actor, item, shown)
        except UpstreamError as error:
            done = {"state": outcome_of(error), "detail": english(error.message)}
        said = done["detail"]
        BulkItem.objects.filter(pk=item.pk).update(
            state=done["state"],
            detail=(said if isinstance(said, Sentence) else Sentence.verbatim(said)).dumps(),
            **{k: v for k, v in done.items() if k == "backup_id"},
        )
        sent += done["state"] == State.ACCEPTED
    return f"{sent} accepted"


def _one(bulk: BulkRequest, account, actor: Actor, item: BulkItem, shown: list) -> dict:
    """One item's change; raises UpstreamError."""
    key = _ItemKey(item)
    if bulk.kind == BulkRequest.Kind.CREATE:
        created = commands.request_backup(account, actor, item.server_id, bulk.description, key)
        return {
            "state": State.ACCEPTED,
            "backup_id": created.backup.id,
            "detail": created.message or "",
        }
    if not shown:
        shown.append(account.backups())
    backup = shown[0].find(item.backup_id)
    if backup is None or backup.server.id != item.server_id:
        gone = _("It is no longer in the list; nothing was sent.")
        return {"state": State.REFUSED, "detail": Sentence(gone)}
    if kept.is_kept(backup):
        marked = _("It is marked kept: release it first; nothing was sent.")
        return {"state": State.REFUSED, "detail": Sentence(marked)}
    if backup.in_progress:
        running = _("It is being taken now; nothing was sent.")
        return {"state": State.REFUSED, "detail": Sentence(running)}
    commands.delete_backup(account, actor, backup, key)
    return {"state": State.ACCEPTED, "detail": ""}
