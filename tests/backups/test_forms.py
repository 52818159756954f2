"""The filter forms' selects and inputs (backupsui/backups/forms.py), written in one pass: the
HTML Django's own widgets write from their templates."""

import re

import pytest
from django import forms

from backupsui.backups.forms import (
    FilterForm,
    QuickNumber,
    QuickSearch,
    QuickSelect,
    ServerFilterForm,
)

CHOICES = [
    ("", "Any kind"),
    ("a", 'Quoted "a" & <b>'),
    ("b", "Bee ʻokina's"),
    (3, "Three"),
]


def tidy(html: str) -> str:
    return re.sub(r">\s+<", "><", str(html)).strip()


@pytest.mark.parametrize("value", [None, "", "a", "b", "3", 3, "missing", ["b"]])
@pytest.mark.parametrize(
    "attrs",
    [None, {"id": "id_kind"}, {"id": "x", "required": True, "disabled": False, "data-x": 'q"'}],
)
def test_it_writes_a_select_as_djangos_templates_do(value, attrs):
    ours = QuickSelect(choices=CHOICES).render("kind", value, attrs)
    django = forms.Select(choices=CHOICES).render("kind", value, attrs)
    assert tidy(ours) == tidy(django)


def test_it_writes_every_select_of_the_filter_forms_as_django_would():
    for form in (
        FilterForm({"backup_type": "manual", "status": "failed", "within": "7", "sort": "size"}),
        ServerFilterForm({"health": "bad", "sort": "name"}),
    ):
        form.is_valid()
        if isinstance(form, FilterForm):
            form.offer([(7, "web <7>")], ["completed", "failed", "queued"])
        for field in form:
            widget = field.field.widget
            if type(widget) is not QuickSelect:
                continue
            plain = forms.Select(attrs=widget.attrs, choices=widget.choices)
            attrs = field.build_widget_attrs({"id": field.auto_id})
            assert tidy(field.as_widget()) == tidy(
                plain.render(field.html_name, field.value(), attrs)
            )
            assert " selected" in str(field)  # the chosen value (or the first) is marked


@pytest.mark.parametrize("value", [None, "", "a b", 'q"<&>', 3, "１２３"])
@pytest.mark.parametrize(
    "attrs", [None, {"id": "id_q", "placeholder": 'Say "x" & <y>', "maxlength": 200}]
)
@pytest.mark.parametrize(
    ("ours", "theirs"), [(QuickSearch, forms.SearchInput), (QuickNumber, forms.NumberInput)]
)
def test_it_writes_an_input_as_djangos_templates_do(value, attrs, ours, theirs):
    assert tidy(ours().render("q", value, attrs)) == tidy(theirs().render("q", value, attrs))
