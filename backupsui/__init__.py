"""backupsui: a web panel for a VPS provider's Backups API."""

__version__ = "0.1.0"
