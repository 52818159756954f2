"""The live status endpoint's work: which watched backups changed since the page was drawn."""

from backupsui.upstream import Unauthorized, UpstreamError


def poll_changes(panel, watched: dict[int, int]) -> dict:
    """Asks the upstream (through the short cache) only about the servers being watched.

    `watched` maps backup id → server id, for backups that were in progress. Returns the rows
    that are no longer in progress, the ids that vanished, and what is still running.
    """
    changed, gone, running = [], [], []
    error = None
    servers = sorted(set(watched.values()))
    found = {}
    try:
        for server_id in servers:
            for backup in panel.backups(server_id).backups:
                if backup.id in watched:
                    found[backup.id] = backup
    except UpstreamError as failure:
        error = failure
    if error is not None:
        # Keep watching what we watched; stop only when the token itself is refused.
        keep = {} if isinstance(error, Unauthorized) else watched
        return {"changed": [], "gone": [], "watch": _param(keep), "error": error.message}
    for backup_id in watched:
        backup = found.get(backup_id)
        if backup is None:
            gone.append(backup_id)
        elif backup.in_progress:
            running.append(backup)
        else:
            changed.append(backup)
    return {"changed": changed, "gone": gone, "watch": watch_param(running), "error": None}


def watch_param(backups) -> str:
    """The poller's query value for these backups: 'server:backup' pairs; empty when none run."""
    return _param({b.id: b.server.id for b in backups if b.in_progress})


def _param(watched: dict[int, int]) -> str:
    return ",".join(f"{server}:{backup}" for backup, server in sorted(watched.items()))
