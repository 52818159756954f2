"""The backups pages: the list and its live status (lists.py), the servers' health
(servers.py), and the confirmed changes: create, delete, restore (changes.py)."""
