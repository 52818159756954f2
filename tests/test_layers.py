"""The house's floors: upstream ← audit ← accounts ← backups ← alerts ← jobs. A module
imports only from its own floor and the ones below it; the ground (ids, env, http, words)
imports no app; the sandbox stands apart (nothing of the panel in it, nothing of it in the
panel)."""

import ast
from pathlib import Path

import backupsui

PACKAGE = Path(backupsui.__file__).parent
FLOORS = ["upstream", "audit", "accounts", "backups", "alerts", "jobs"]
GROUND = {"ids", "env", "http", "words", "logs", "probes", "__init__"}
# The glue that puts the house together may reach every floor.
ROOF = {"settings", "urls", "views", "wsgi", "sandbox.management.commands.demo"}


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE).with_suffix("").parts)


def imported(path: Path) -> set[str]:
    """The backupsui modules a file imports, as dotted names below backupsui."""
    found = set()
    tree = ast.parse(path.read_text())
    package = module_name(path).split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                names = [".".join(["backupsui", *base, *(node.module or "").split(".")]).strip(".")]
            else:
                names = [node.module or ""]
        else:
            continue
        for name in names:
            if name == "backupsui" or name.startswith("backupsui."):
                found.add(name.removeprefix("backupsui").strip("."))
    return found


def allowed(importer: str, target: str) -> bool:
    if not target or target.split(".")[0] in GROUND:
        return True
    if importer in ROOF:
        return True
    mine, theirs = importer.split(".")[0], target.split(".")[0]
    if mine == theirs:
        return True
    if mine in GROUND or "sandbox" in (mine, theirs):
        return False
    return theirs in FLOORS and FLOORS.index(theirs) < FLOORS.index(mine)


def test_it_imports_only_from_its_own_floor_or_below():
    wrong = [
        f"{module_name(path)} imports {target}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.parts
        for target in sorted(imported(path))
        if not allowed(module_name(path), target)
    ]
    assert wrong == []


def test_it_can_tell_a_wrong_import():
    assert not allowed("accounts.tokens", "backups.lists")
    assert not allowed("http", "backups.panel")
    assert not allowed("upstream.client", "audit.models")
    assert allowed("backups.panel", "accounts.tokens")
