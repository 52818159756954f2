"""What pages show, worked out in Python (backupsui/backups/presenters.py)."""

import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from django.utils import translation

from backupsui.backups.lists import BackupList
from backupsui.backups.presenters import freshness
from backupsui.upstream import Listing


def aged(seconds: float) -> BackupList:
    return BackupList(Listing([], None), fetched=time.time() - seconds)


def token(failed_at=None, cause=""):
    return SimpleNamespace(list_failed_at=failed_at, list_failure=cause)


def test_it_says_nothing_of_a_fresh_list(settings):
    settings.BACKUPS_CACHE_SECONDS = 5
    assert freshness(aged(4), token()) is None


def test_it_says_how_old_an_old_list_is_and_whether_the_api_failed_since(settings):
    settings.BACKUPS_CACHE_SECONDS, settings.TIME_ZONE = 5, "UTC"
    listed = aged(40)
    fetched = datetime.fromtimestamp(listed.fetched, UTC)
    said = freshness(listed, token())
    assert said.age == 40 and not said.failed_at and said.retry_seconds == 2
    assert said.fetched_at == fetched.strftime("%H:%M:%S UTC")
    # A failure before the list was fetched is over: that list came after it.
    assert not freshness(listed, token(fetched - timedelta(seconds=1), "timeout")).failed_at
    tried = fetched + timedelta(seconds=30)
    said = freshness(listed, token(tried, "timeout"))
    assert said.failed_at == tried.strftime("%H:%M:%S UTC") and said.retry_seconds == 5
    assert said.reason == "it did not answer in time"
    assert freshness(listed, token(tried, "odd")).reason == "it answered unexpectedly"
    with translation.override("sm"):
        assert freshness(listed, token(tried, "timeout")).reason != "it did not answer in time"
