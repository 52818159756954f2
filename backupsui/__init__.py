"""backupsui: a web panel for a VPS provider's Backups API."""

# The released versions and what each brought: CHANGELOG.md.
__version__ = "0.3.0.dev0"
