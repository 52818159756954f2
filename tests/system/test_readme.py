"""The README against the code: every variable the code reads is in its table, once, with one
meaning; every management command it lists exists and is listed once; and wherever it says
what `rotate_token_keys` re-encrypts, it names every secret the command does."""

import re
from pathlib import Path

from django.core.management import get_commands

from backupsui.accounts import crypto

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
# Read by the code: the env helpers (backupsui/env.py), os.environ, gunicorn.conf.py, the
# sandbox's accounts and dj-database-url.
READS = re.compile(r'(?:env_\w+|environ\.get|getenv)\(\s*"([A-Z][A-Z0-9_]+)"')
ALSO_READ = {"DATABASE_URL", "SANDBOX_TOKENS", "BACKUPSUI_LOG_FORMAT"}
# The secrets each registered field holds, in the README's words.
SECRETS = {
    ("accounts.ApiToken", "ciphertext"): "API tokens",
    ("alerts.Subscription", "webhook_secret"): "webhook secrets",
    ("alerts.AppriseUrl", "ciphertext"): "Apprise URLs",
}


def table_rows() -> list[str]:
    """The configuration table's first cells."""
    table = README.split("## Configuration", 1)[1].split("\n\n", 2)[2].split("\n\n", 1)[0]
    return [line.split("|")[1] for line in table.splitlines()[2:]]


def variables_in(cell: str) -> list[str]:
    """The variables a cell names; "`DJANGO_EMAIL_HOST`, `_PORT`" names DJANGO_EMAIL_PORT."""
    prefix, found = "", []
    for name in re.findall(r"`(_?[A-Z][A-Z0-9_]*)`", cell):
        if name.startswith("_"):
            found.append(prefix + name)
        else:
            found.append(name)
            prefix = name.rsplit("_", 1)[0]
    return found


def read_by_the_code() -> set[str]:
    sources = [*(ROOT / "backupsui").rglob("*.py"), ROOT / "gunicorn.conf.py"]
    found = set(ALSO_READ)
    for path in sources:
        if "sandbox" in path.parts and path.name != "config.py":
            continue
        found |= set(READS.findall(path.read_text()))
    return found


def test_it_lists_every_variable_the_code_reads_once():
    listed = [name for cell in table_rows() for name in variables_in(cell)]
    assert sorted(name for name in set(listed) if listed.count(name) > 1) == []
    assert sorted(read_by_the_code() - set(listed)) == []


def test_it_lists_every_management_command_it_names_once_and_each_exists():
    part = README.split("## Management commands\n", 1)[1].split("\n## ", 1)[0]
    named = re.findall(r"^- `python manage\.py (\w+)", part, flags=re.M)
    assert sorted(name for name in set(named) if named.count(name) > 1) == []
    assert sorted(set(named) - set(get_commands())) == []


def test_it_names_every_secret_rotate_token_keys_re_encrypts():
    registered = {(model._meta.label, field) for model, field in crypto.registered()}
    assert registered == set(SECRETS)
    said = re.findall(r"rotate_token_keys`[^.]*?re-encrypts every stored secret[^)]*\)", README)
    said = [" ".join(words.split()) for words in said]
    assert len(said) >= 2
    for words in said:
        assert all(secret in words for secret in SECRETS.values()), words
