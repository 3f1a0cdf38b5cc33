"""Typed strategy parameters: declared once, validated everywhere, described as JSON schema.

A strategy declares its parameters as class attributes:

    class SmaCrossover(Strategy):
        fast = IntParam(10, min=1, max=500, help="Bars in the fast average")

The API publishes `schema()` so clients (and the dashboard form) know each
parameter's type, default and range; `clean()` turns untrusted input (JSON
values, command-line strings, form fields) into typed values or raises an
SpecInvalid naming the parameter.
"""

import math
from typing import Any

from core.inputs import InputRefused, ascii_text, int_parse
from strategies.errors import SpecInvalid


def param_error(name: str, message: str, code: str = "invalid_param") -> SpecInvalid:
    return SpecInvalid(f"{name.replace('_', ' ').capitalize()} {message}", code=code, field=f"params.{name}")


class Param:
    json_type = "string"

    def __init__(self, default: Any, *, help: str = "", label: str = "") -> None:
        self.default = default
        self.help = help
        self.label = label
        self.name = ""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name
        self.label = self.label or name.replace("_", " ").capitalize()

    def clean(self, value: Any) -> Any:
        raise NotImplementedError

    def schema(self) -> dict[str, Any]:
        return {"type": self.json_type, "default": self.default, "title": self.label, "description": self.help}

    def _error(self, message: str, code: str = "invalid_param") -> SpecInvalid:
        """The message names the parameter as the form labels it ("Fast SMA must be ..."), the field by its key."""
        return SpecInvalid(f"{self.label} {message}", code=code, field=f"params.{self.name}")


class _RangedParam(Param):
    def __init__(self, default, *, min=None, max=None, **kwargs) -> None:
        super().__init__(default, **kwargs)
        self.min = min
        self.max = max

    def _check_range(self, value):
        if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
            if self.min is None:
                bounds = f"at most {self.max}"
            elif self.max is None:
                bounds = f"at least {self.min}"
            else:
                bounds = f"from {self.min} to {self.max}"
            raise self._error(f"must be {bounds}, not {value}.", code="param_out_of_range")
        return value

    def schema(self) -> dict[str, Any]:
        out = super().schema()
        if self.min is not None:
            out["minimum"] = self.min
        if self.max is not None:
            out["maximum"] = self.max
        return out


class IntParam(_RangedParam):
    json_type = "integer"

    def clean(self, value: Any) -> int:
        if isinstance(value, bool):
            raise self._error("must be a whole number, not true/false.")
        if isinstance(value, str):
            try:
                value = int_parse(value)
            except InputRefused as exc:
                if exc.code == "invalid_number":
                    raise self._error(f"{value[:40]!r} is not a whole number.") from None
                raise self._error(exc.message, code=exc.code) from None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int):
            raise self._error("must be a whole number.")
        return self._check_range(value)


class FloatParam(_RangedParam):
    """A ratio or percentage (not money: money parameters would be Decimal)."""

    json_type = "number"

    def clean(self, value: Any) -> float:
        if isinstance(value, bool):
            raise self._error("must be a number, not true/false.")
        try:
            number = float(ascii_text(value) if isinstance(value, str) else value)
        except InputRefused as exc:
            raise self._error(exc.message, code=exc.code) from None
        except (TypeError, ValueError):
            raise self._error(f"{str(value)[:40]!r} is not a number.") from None
        if not math.isfinite(number):
            raise self._error("must be a finite number.")
        return self._check_range(number)


TRUE_WORDS = {"true", "1", "yes", "on"}
FALSE_WORDS = {"false", "0", "no", "off", ""}


class BoolParam(Param):
    json_type = "boolean"

    def clean(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
            return value.strip().lower() in TRUE_WORDS
        raise self._error("must be true or false.")


class ChoiceParam(Param):
    def __init__(self, default: str, *, choices: tuple[str, ...], **kwargs) -> None:
        super().__init__(default, **kwargs)
        self.choices = tuple(choices)

    def clean(self, value: Any) -> str:
        if not isinstance(value, str) or value not in self.choices:
            raise self._error(f"must be one of {', '.join(self.choices)}.")
        return value

    def schema(self) -> dict[str, Any]:
        return {**super().schema(), "enum": list(self.choices)}


def params_clean(declared: dict[str, Param], given: dict[str, Any] | None) -> dict[str, Any]:
    """Every declared parameter, typed: the given value or its default. Unknown names are refused."""
    given = given or {}
    if not isinstance(given, dict):
        raise SpecInvalid("`params` must be an object of name: value.", code="invalid_param", field="params")
    unknown = sorted(set(given) - set(declared))
    if unknown:
        known = ", ".join(declared) or "none"
        raise SpecInvalid(
            f"Unknown parameter {unknown[0]!r} (this strategy takes: {known}).",
            code="unknown_param",
            fields={f"params.{name}": ["Unknown parameter."] for name in unknown},
        )
    return {name: param.clean(given[name]) if name in given else param.default for name, param in declared.items()}


def params_schema(declared: dict[str, Param]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {name: param.schema() for name, param in declared.items()},
    }
