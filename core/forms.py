"""The dashboard's forms: number fields with core.inputs' rules (as core.api's fields for the API), and the
one way a DomainError from a service becomes errors on a form (as core.api's handler makes the API's envelope).

Django's own read "३००" as 300 (int() and Decimal() accept any Unicode digit) and take
Decimal("1e999999999"), which overflows the first sum it meets; these refuse both, beside the field.
"""

from collections.abc import Iterable

from django import forms
from django.core.exceptions import ValidationError

from core.errors import DomainError, InvalidInput
from core.inputs import DECIMAL_PLACES, INT_MAX, WHOLE_DIGITS, InputRefused, ascii_text, decimal_parse


class IntegerField(forms.IntegerField):
    """A whole number in ASCII digits, within 64 bits unless the form sets narrower bounds."""

    default_error_messages = {
        "max_value": "Too large: at most %(limit_value)s.",
        "min_value": "Too small: at least %(limit_value)s.",
    }

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("min_value", -INT_MAX)
        kwargs.setdefault("max_value", INT_MAX)
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            try:
                ascii_text(value)
            except InputRefused as exc:
                raise ValidationError(exc.message, code=exc.code) from None
        return super().to_python(value)


class DecimalField(forms.DecimalField):
    """A decimal read by core.inputs.decimal_parse: exact, finite, at most `whole_digits` digits before the
    point and `places` after it (max_digits and decimal_places, when given, narrow that further)."""

    def __init__(self, *, whole_digits: int = WHOLE_DIGITS, places: int = DECIMAL_PLACES, **kwargs) -> None:
        self.whole_digits, self.places = whole_digits, places
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return decimal_parse(value, whole_digits=self.whole_digits, places=self.places)
        except InputRefused as exc:
            if exc.code == "invalid_number":  # the form's own wording ("Enter an amount in rupees, ...")
                raise ValidationError(self.error_messages["invalid"], code="invalid") from None
            raise ValidationError(exc.message, code=exc.code) from None


# --- domain errors on the dashboard's forms: the one idiom ----------------------------------------------


def split_errors(
    fields: dict[str, list[str]], shown: Iterable[str], message: str = "", *, prefixes: tuple[str, ...] = ()
) -> tuple[dict[str, list[str]], list[str]]:
    """A DomainError's `fields` as (errors beside the fields the page shows, errors at the top).

    A field is shown when it is in `shown` or starts with one of `prefixes` (the strategy's own
    parameters, "params.fast"). The error's message goes at the top when it names no field at all.
    """
    shown = set(shown)
    beside = {f: msgs for f, msgs in fields.items() if f in shown or f.startswith(prefixes)}
    top = [m for f, msgs in fields.items() if f not in beside for m in msgs]
    if not beside and not top and message:
        top = [message]
    return beside, top


def domain_error_split(exc: DomainError, shown: Iterable[str], *, prefixes: tuple[str, ...] = ()):
    """split_errors for a DomainError: (beside its fields, at the top)."""
    return split_errors(exc.fields, shown, exc.message, prefixes=prefixes)


def form_add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's DomainError on a Django form: beside the fields it names, the rest as the form's own."""
    beside, top = domain_error_split(exc, form.fields)
    for field, messages in beside.items():
        for message in messages:
            form.add_error(field, message)
    for message in top:
        form.add_error(None, message)


def form_errors(form: forms.Form) -> dict[str, list[str]]:
    """A bound form's errors as plain data: field -> messages."""
    return {field: [str(e) for e in errors] for field, errors in form.errors.items()}


def form_refusal(form: forms.Form) -> InvalidInput:
    """An invalid form as the InvalidInput a service would raise, so one handler shows both alike."""
    errors = form_errors(form)
    return InvalidInput(next(iter(errors.values()))[0], fields=errors)
