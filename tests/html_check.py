"""html-validate (the npm tool `make test` installs into node_modules) run on pages and
fragments as the panel sends them: its `standard` and `a11y` rules (.htmlvalidate.json)."""

import hashlib
import json
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "node_modules" / ".bin" / "html-validate"


def problems(documents: dict[str, str]) -> list[str]:
    """Every rule broken in `documents` (a name, such as the URL fetched, for each body):
    one line per problem, naming the document, the rule and the element."""
    if not TOOL.exists():
        pytest.fail("html-validate is not installed: run `make test` (it runs npm ci).")
    names: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, body in documents.items():
            digest = hashlib.sha256(body.encode()).hexdigest()[:16]
            if digest not in names:
                names[digest] = name
                (Path(folder) / f"{digest}.html").write_text(body, encoding="utf-8")
        if not names:
            return []
        result = subprocess.run(
            [
                str(TOOL),
                "--config",
                str(ROOT / ".htmlvalidate.json"),
                "--formatter",
                "json",
                *sorted(str(p) for p in Path(folder).glob("*.html")),
            ],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )
    if result.returncode not in (0, 1) or not result.stdout.strip():
        pytest.fail(f"html-validate did not run: {result.stderr[-2000:]}")
    found = []
    for report in json.loads(result.stdout):
        name = names[Path(report["filePath"]).stem]
        for message in report["messages"]:
            found.append(
                f"{name}: {message['ruleId']}: {message['message']} ({message.get('selector')})"
            )
    return found
