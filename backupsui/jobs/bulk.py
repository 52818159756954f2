"""Backing up many servers at once, in a background worker: each server's create is claimed
(`sending`) and tied to its audit event before the call, so it is sent at most once whatever
restarts or runs beside; one server's failure never stops the others."""

from django.db import transaction
from django.tasks import task
from django.utils.translation import gettext_noop as _

from backupsui.audit.actors import Actor
from backupsui.audit.recorder import outcome_of
from backupsui.backups import commands
from backupsui.backups.account import NoToken, account_for
from backupsui.upstream import UpstreamError
from backupsui.words import Sentence, english

from .models import BulkBackup, BulkItem

State = BulkItem.State


def start(actor: Actor, servers: list[tuple[int, str]], description: str) -> BulkBackup:
    """The bulk backup and its items, then its work queued (after the rows are committed)."""
    with transaction.atomic():
        bulk = BulkBackup.objects.create(
            user=actor.user,
            description=description,
            remote_addr=actor.remote_addr,
            user_agent=actor.user_agent,
            request_id=actor.request_id,
        )
        BulkItem.objects.bulk_create(
            BulkItem(bulk=bulk, server_id=sid, server_name=name[:255]) for sid, name in servers
        )
        transaction.on_commit(lambda: back_up_servers.enqueue(bulk.pk))
    return bulk


class _ItemKey:
    """Ties an item to its create's audit event as soon as the event is written."""

    def __init__(self, item: BulkItem):
        self.item = item

    def attach(self, event) -> None:
        BulkItem.objects.filter(pk=self.item.pk).update(event=event)


def _actor(bulk: BulkBackup) -> Actor:
    return Actor(
        user=bulk.user,
        username=bulk.user.get_username(),
        remote_addr=bulk.remote_addr,
        user_agent=bulk.user_agent,
        request_id=bulk.request_id,
    )


@task()
def back_up_servers(bulk_id: int) -> str:
    bulk = BulkBackup.objects.select_related("user").get(pk=bulk_id)
    try:
        account = account_for(bulk.user)
    except NoToken:
        BulkItem.objects.filter(bulk=bulk, state=State.PENDING).update(
            state=State.FAILED,
            detail=Sentence(_("Your API token is gone, so nothing was sent.")).dumps(),
        )
        return "no token"
    actor = _actor(bulk)
    sent = 0
    for item in BulkItem.objects.filter(bulk=bulk, state=State.PENDING):
        if not BulkItem.objects.filter(pk=item.pk, state=State.PENDING).update(state=State.SENDING):
            continue  # another worker has it
        try:
            created = commands.request_backup(
                account, actor, item.server_id, bulk.description, _ItemKey(item)
            )
        except UpstreamError as error:
            BulkItem.objects.filter(pk=item.pk).update(
                state=outcome_of(error), detail=Sentence.verbatim(english(error.message)).dumps()
            )
            continue
        BulkItem.objects.filter(pk=item.pk).update(
            state=State.ACCEPTED,
            backup_id=created.backup.id,
            detail=Sentence.verbatim(created.message or "").dumps(),
        )
        sent += 1
    return f"{sent} sent"
