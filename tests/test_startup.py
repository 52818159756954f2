"""What a long-running process checks before it starts: the static files' manifest in
production (collectstatic run with debug on writes none, and every page would answer 500),
and this release's migrations (tests/system/test_startup.py starts the real processes)."""

import pytest

from backupsui import startup

MANIFEST_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"


def manifest_storage(settings, root) -> None:
    settings.STATIC_ROOT = root
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST_STORAGE}}


def test_it_refuses_production_without_the_static_manifest_naming_collectstatic(settings, tmp_path):
    manifest_storage(settings, tmp_path)
    with pytest.raises(startup.NotReady) as refused:
        startup.check_static()
    said = str(refused.value)
    assert str(tmp_path / "staticfiles.json") in said
    assert "collectstatic --noinput` with DJANGO_DEBUG off" in said
    (tmp_path / "staticfiles.json").write_text('{"paths": {}, "version": "1.1"}')
    startup.check_static()  # there now


def test_it_leaves_the_manifest_alone_in_debug_and_without_a_manifest_storage(settings, tmp_path):
    manifest_storage(settings, tmp_path)
    settings.DEBUG = True
    startup.check_static()
    settings.DEBUG = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    startup.check_static()


def test_it_finds_this_releases_migrations_applied_on_the_test_database(db):
    assert startup.unapplied_migrations() == []
    startup.check_migrated()
