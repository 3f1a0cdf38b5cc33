"""Number fields for the dashboard's forms, with core.inputs' rules (as core.api's fields for the API).

Django's own read "३००" as 300 (int() and Decimal() accept any Unicode digit) and take
Decimal("1e999999999"), which overflows the first sum it meets; these refuse both, beside the field.
"""

from django import forms
from django.core.exceptions import ValidationError

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
