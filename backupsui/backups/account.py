"""The read side: a person's backups as their stored token sees them, from the cache or the
API. Reading changes nothing upstream; what must follow a fresh list (the servers seen noted,
the person's open audit events settled) happens once, in `_fetch`, before the list is shared.
The changes are commands (commands.py) that take this account and an explicit actor."""

import logging
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings

from backupsui.accounts import tokens
from backupsui.accounts.crypto import TokenKeyError
from backupsui.accounts.models import ApiToken
from backupsui.audit.settle import settle_from_list
from backupsui.upstream import Backup, BackupsClient, Unauthorized, UpstreamError
from backupsui.upstream.calls import cause_of

from . import servers_seen
from .cache import list_cache
from .health import note_servers
from .lists import BackupList

MAX_WATCHED = 50
logger = logging.getLogger("backupsui.backups")
_after_fetch = []


def after_fetch(hook):
    """Registers what an app above must do with each person's fresh list, before it is
    shared: `hook(user, fresh)` (the jobs follow their safety backups)."""
    _after_fetch.append(hook)
    return hook


class NoToken(Exception):
    """The person has no usable API token stored."""


class UnreadableToken(NoToken):
    """The person's stored token can no longer be decrypted (the keys changed): they must
    store it again."""


@dataclass
class PollResult:
    """What changed among the watched backups since the page was drawn."""

    changed: list[Backup]
    gone: list[int]
    watch: str
    error: str | None = None


@dataclass
class Account:
    """The provider's account as one person's token sees it."""

    user: object
    token: ApiToken
    client: BackupsClient

    @property
    def key(self) -> tuple:
        """The cache key of the token's list: its row and its freshness version, renewed by
        every change (never the token itself)."""
        return (self.token.pk, self.token.lists_version)

    @contextmanager
    def calling(self):
        """Around each client call: a refused token is noted, an accepted one too."""
        try:
            yield
        except Unauthorized:
            list_cache.forget(self.key)
            raise
        tokens.mark_accepted(self.token)

    def backups(self, *, stale: bool = False) -> BackupList:
        """The person's whole list: one fetched at most `BACKUPS_CACHE_SECONDS` ago, by
        whichever process fetched it (one fetch per token at a time, see cache.py). `stale`:
        a page that only shows the list may get one up to `BACKUPS_STALE_SECONDS` old at once
        (its age on the page) while a new one is fetched; confirmations and changes never
        pass it."""
        max_age = None if stale else settings.BACKUPS_CACHE_SECONDS
        return list_cache.get_or_fetch(self.key, self._fetch, max_age=max_age)

    def _fetch(self) -> BackupList:
        """A fresh list from the API, with what must follow it done before anyone shares it.
        A failure is noted on the token's row, for the pages of every process (see
        presenters.freshness); the next success clears it."""
        try:
            with self.calling():
                listed = self.client.list_backups()
        except UpstreamError as error:
            tokens.list_failed(self.token, cause_of(error))
            raise
        tokens.list_answered(self.token)
        fresh = BackupList(listed)
        fresh.known = note_servers(self.user, self.token.saved_at, fresh.servers())
        servers_seen.record_for_page(self.user.pk, fresh)
        # What the list shows settles this person's requests nobody knew the end of.
        settle_from_list(self.user, listed, complete=not fresh.short)
        for hook in _after_fetch:
            hook(self.user, fresh)
        return fresh

    def find(self, backup_id: int) -> Backup | None:
        return self.backups().find(backup_id)

    def poll(self, watched: dict[int, int]) -> PollResult:
        """Answers from the one list, however many backups are watched (backup id → server
        id, for backups that were in progress)."""
        try:
            listed = self.backups()
        except UpstreamError as error:
            # Keep watching what we watched; stop only when the token itself is refused.
            keep = {} if error.token_refused else watched
            return PollResult([], [], watch_param(keep), error.message)
        changed, gone, running = [], [], {}
        for backup_id, server_id in watched.items():
            backup = listed.find(backup_id)
            if backup is None or backup.server.id != server_id:
                gone.append(backup_id)
            elif backup.in_progress:
                running[backup.id] = server_id
            else:
                changed.append(backup)
        return PollResult(changed, gone, watch_param(running))

    def cached(self) -> BackupList | None:
        """The list kept for this token, whatever its age, without asking the API."""
        return list_cache.peek(self.key)

    def known_servers(self) -> list[tuple[int, str]]:
        """The servers of the cached list (and those the account's tokens showed before),
        without asking the API for them."""
        found = list_cache.peek(self.key)
        return found.all_servers() if found is not None else []


def watch_param(watched) -> str:
    """The poller's query value: 'server:backup' pairs, from backups (those in progress) or
    from a dict of backup id → server id; empty when nothing runs."""
    if not isinstance(watched, dict):
        watched = {b.id: b.server.id for b in watched if b.in_progress}
    return ",".join(f"{server}:{backup}" for backup, server in sorted(watched.items()))


def account_for(user) -> Account:
    """The person's account through their stored token; raises NoToken."""
    token = tokens.stored_token(user)
    if token is None:
        raise NoToken
    try:
        plaintext = tokens.reveal(token)
    except TokenKeyError:
        raise UnreadableToken from None
    return Account(user, token, BackupsClient(plaintext))


def every_tokens_list() -> dict[int, BackupList]:
    """The periodic round's look: every stored token's list, once (from the cache when a
    page has just fetched it), each kept in the servers' states (servers_seen); then the
    servers no token showed for long are forgotten.
    Returns user id → list for the lists read; a token refused or the API down is logged and
    skipped until the next round."""
    lists = {}
    for token in ApiToken.objects.select_related("user").filter(user__is_active=True):
        try:
            listed = account_for(token.user).backups()
        except NoToken:
            continue
        except UpstreamError as error:
            logger.warning("round: the list of %s could not be read: %s", token.user, error.message)
        else:
            servers_seen.record_for_round(listed)
            lists[token.user_id] = listed
    servers_seen.forget()
    return lists
