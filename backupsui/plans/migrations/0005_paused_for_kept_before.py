# Plans paused by an earlier release say why only in words: the kind of reason is read from
# them, so a plan that paused for its owner's missing token resumes by itself when the owner
# stores one (a plan paused without a reason was paused by a person). Data only, in a
# migration of its own; going back leaves the column as it is (the previous release ignores it).

import json

from django.db import migrations

# The reasons the runner wrote, in English (as stored), and their kind.
KINDS = {
    "The plan's owner has no API token, so the plan was paused.": "no_token",
    "The plan's owner's API token was refused, so the plan was paused.": "token_refused",
    "The plan's owner was deactivated, so the plan was paused.": "owner",
    "The plan's owner may no longer create backups, so it was paused.": "owner",
    "The plan's owner may no longer delete backups, so it was paused.": "owner",
}


def kind_of(reason: str) -> str:
    if not reason:
        return "person"
    try:
        template = json.loads(reason)[0][0]
    except (ValueError, TypeError, IndexError, KeyError):
        return ""
    return KINDS.get(template, "")


def read_kinds(apps, schema_editor):
    Plan = apps.get_model("plans", "Plan")
    for plan in Plan.objects.filter(mode="paused", paused_for="").only("pk", "paused_reason"):
        kind = kind_of(plan.paused_reason)
        if kind:
            Plan.objects.filter(pk=plan.pk).update(paused_for=kind)


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0004_paused_for_and_attention"),
    ]

    operations = [migrations.RunPython(read_kinds, migrations.RunPython.noop)]
