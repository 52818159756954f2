"""Imported once by the alerts' sending server process (sender.py), before it forks a child
for each alert: the sending code and every Apprise plugin are loaded there, so that a child
starts with them (loading the plugins takes about half a second)."""

from apprise.plugins import N_MGR

from . import sender  # noqa: F401 - loaded for the children

N_MGR.load_modules()
