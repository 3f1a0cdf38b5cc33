"""A service's DomainError reaches a dashboard form one way: core.forms (split_errors, form_add_domain_error)."""

import ast

from django import forms

from core.errors import InvalidInput, RuleViolation
from core.forms import form_add_domain_error, form_refusal, split_errors
from tests.core.modules import our_modules

HELPERS = "core/forms.py"
OWN_NAMES = {"split_errors", "form_errors", "form_add_domain_error"}


class KeyForm(forms.Form):
    name = forms.CharField()
    scopes = forms.CharField(required=False)


def test_an_error_naming_a_field_of_the_form_is_shown_beside_it():
    form = KeyForm({"name": "trading bot"})
    assert form.is_valid()
    form_add_domain_error(form, RuleViolation("You already have a key named 'trading bot'.", field="name"))
    assert form.errors == {"name": ["You already have a key named 'trading bot'."]}


def test_an_error_naming_no_field_of_the_form_is_the_forms_own():
    form = KeyForm({"name": "x"})
    assert form.is_valid()
    form_add_domain_error(form, RuleViolation("Markets are closed.", field="exchange"))
    form_add_domain_error(form, RuleViolation("Trading is halted."))
    assert form.non_field_errors() == ["Markets are closed.", "Trading is halted."]


def test_split_errors_puts_the_message_on_top_only_when_no_field_is_named():
    fields = {"amount": ["Too much."], "account": ["Closed."], "params.fast": ["Below 2."]}
    assert split_errors(fields, ["amount"], "ignored", prefixes=("params.",)) == (
        {"amount": ["Too much."], "params.fast": ["Below 2."]},
        ["Closed."],
    )
    assert split_errors({}, ["amount"], "Refused.") == ({}, ["Refused."])


def test_an_invalid_form_becomes_the_invalid_input_a_service_would_raise():
    form = KeyForm({})
    assert not form.is_valid()
    refusal = form_refusal(form)
    assert isinstance(refusal, InvalidInput)
    assert (refusal.message, refusal.fields) == ("This field is required.", {"name": ["This field is required."]})


def _own_variants(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name in OWN_NAMES:
            found.append(f"defines {node.name}")
        if isinstance(node, ast.ExceptHandler):
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "add_error":
                    found.append(f"line {call.lineno}: add_error in an except block")
    return found


def test_no_view_turns_domain_errors_into_form_errors_by_hand():
    found = {path: v for path, tree in our_modules() if path != HELPERS and (v := _own_variants(tree))}
    assert found == {}, "use core.forms.form_add_domain_error / split_errors"


def test_the_check_sees_a_hand_made_variant():
    source = """
try:
    save()
except DomainError as exc:
    form.add_error(next(iter(exc.fields), None), exc.message)
"""
    assert _own_variants(ast.parse(source)) == ["line 5: add_error in an except block"]
