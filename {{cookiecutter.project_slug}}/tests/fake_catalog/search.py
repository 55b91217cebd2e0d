"""The ``search`` query parameter: a JSON object of filters, each a list of criteria.

``{"family":[{"operator":"IN","value":["shoes"]}],"enabled":[{"operator":"=","value":true}]}``
keeps the items that meet every criterion. Each list declares the fields it can be filtered on
and their operators; anything else is the PIM's 422.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

import httpx

from .answers import ApiError

T = TypeVar("T")

Criterion = dict[str, Any]
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

CODES = frozenset({"IN", "NOT IN"})
EQUALITY = frozenset({"=", "!="})
EMPTINESS = frozenset({"EMPTY", "NOT EMPTY"})
DATES = frozenset({"=", "!=", "<", ">", "BETWEEN", "NOT BETWEEN", "SINCE LAST N DAYS"})
TEXT = frozenset({"=", "!=", "CONTAINS", "DOES NOT CONTAIN", "STARTS WITH", "IN"}) | EMPTINESS


@dataclass(frozen=True)
class Field(Generic[T]):
    """A filterable field: how to read it from an item, and the operators it supports."""

    read: Callable[[T, Criterion], Any]
    operators: frozenset[str]


def field(read: Callable[[T], Any], operators: frozenset[str]) -> Field[T]:
    """A field whose value does not depend on a criterion's locale or scope."""
    return Field(lambda item, criterion: read(item), operators)


def parse_search(request: httpx.Request) -> dict[str, list[Criterion]]:
    raw = request.url.params.get("search")
    if raw is None:
        return {}
    try:
        search = json.loads(raw)
    except ValueError:
        raise ApiError(400, "Search query parameter should be valid JSON.") from None
    if not isinstance(search, dict):
        raise ApiError(422, "Search query parameter has to be an object.")
    for name, criteria in search.items():
        if not isinstance(criteria, list) or not all(isinstance(c, dict) for c in criteria):
            message = (
                f'Structure of filter "{name}" should respect this structure: '
                f'{{"{name}":[{{"operator": "my_operator", "value": "my_value"}}]}}'
            )
            raise ApiError(422, message)
    return search


def select(
    request: httpx.Request,
    items: list[T],
    fields: Mapping[str, Field[T]],
    *,
    now: datetime,
    value_field: Callable[[str], Field[T] | None] = lambda name: None,
) -> list[T]:
    """The ``items`` meeting every criterion of the request's ``search`` (in their order)."""
    matches = matcher(request, fields, now=now, value_field=value_field)
    return items if matches is None else [item for item in items if matches(item)]


def matcher(
    request: httpx.Request,
    fields: Mapping[str, Field[T]],
    *,
    now: datetime,
    value_field: Callable[[str], Field[T] | None] = lambda name: None,
) -> Callable[[T], bool] | None:
    """Whether an item meets every criterion of the request's ``search``; None without one."""
    checks: list[Callable[[T], bool]] = []
    for name, criteria in parse_search(request).items():
        known = fields.get(name) or value_field(name)
        for criterion in criteria:
            operator = criterion.get("operator")
            if known is None or operator not in known.operators:
                raise ApiError(
                    422,
                    f'Filter on property "{name}" is not supported or does not support '
                    f'operator "{operator}"',
                )
            checks.append(_check(name, known, criterion, now))
    if not checks:
        return None
    return lambda item: all(check(item) for check in checks)


def _check(name: str, known: Field[T], criterion: Criterion, now: datetime) -> Callable[[T], bool]:
    operator: str = criterion["operator"]
    operand = criterion.get("value")
    if known.operators is DATES:
        test = _date_test(name, operator, operand, now)
    else:
        test = _value_test(name, operator, operand)
    return lambda item: test(known.read(item, criterion))


def _value_test(name: str, operator: str, operand: Any) -> Callable[[Any], bool]:
    if operator in {"IN", "NOT IN", "IN CHILDREN", "NOT IN CHILDREN", "IN OR UNCLASSIFIED"}:
        if not isinstance(operand, list):
            message = (
                f'Property "{name}" expects an array as data, "{type(operand).__name__}" given.'
            )
            raise ApiError(422, message)
        wanted = set(operand)
        inside: Callable[[Any], bool] = lambda value: bool(_as_set(value) & wanted)  # noqa: E731
        if operator == "IN OR UNCLASSIFIED":
            return lambda value: inside(value) or not value
        return inside if operator in {"IN", "IN CHILDREN"} else (lambda value: not inside(value))
    if operator == "EMPTY":
        return lambda value: value in (None, "", [], {})
    if operator == "NOT EMPTY":
        return lambda value: value not in (None, "", [], {})
    if operator == "UNCLASSIFIED":
        return lambda value: not value
    if operator == "=":
        return lambda value: value == operand or (isinstance(value, list) and operand in value)
    if operator == "!=":
        return lambda value: value != operand
    text = str(operand).lower()
    if operator == "CONTAINS":
        return lambda value: text in str(value or "").lower()
    if operator == "DOES NOT CONTAIN":
        return lambda value: text not in str(value or "").lower()
    return lambda value: str(value or "").lower().startswith(text)  # STARTS WITH


def _as_set(value: Any) -> set[Any]:
    if value is None:
        return set()
    if isinstance(value, list | set | frozenset | tuple):
        return set(value)
    return {value}


def _date_test(name: str, operator: str, operand: Any, now: datetime) -> Callable[[Any], bool]:
    if operator == "SINCE LAST N DAYS":
        if not isinstance(operand, int) or isinstance(operand, bool):
            raise ApiError(422, f'Property "{name}" expects an integer as data, "{operand}" given.')
        since = now - timedelta(days=operand)
        return lambda value: parse_time(value) >= since
    if operator in {"BETWEEN", "NOT BETWEEN"}:
        if not isinstance(operand, list) or len(operand) != 2:
            raise ApiError(
                422,
                f'Property "{name}" expects an array with valid data, the first and the second '
                "date (yyyy-mm-dd H:i:s) are expected.",
            )
        low, high = (_criterion_time(name, bound) for bound in operand)
        if operator == "BETWEEN":
            return lambda value: low <= parse_time(value) <= high
        return lambda value: not low <= parse_time(value) <= high
    moment = _criterion_time(name, operand)
    comparisons: dict[str, Callable[[datetime], bool]] = {
        "=": lambda time: time == moment,
        "!=": lambda time: time != moment,
        "<": lambda time: time < moment,
        ">": lambda time: time > moment,
    }
    compare = comparisons[operator]
    return lambda value: compare(parse_time(value))


def _criterion_time(name: str, operand: Any) -> datetime:
    """A criterion's date: "yyyy-mm-dd H:i:s" in UTC as the PIM documents, or ISO 8601."""
    if isinstance(operand, str):
        for parse in (lambda s: datetime.strptime(s, DATE_FORMAT), datetime.fromisoformat):
            try:
                moment = parse(operand)
            except ValueError:
                continue
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise ApiError(
        422,
        f'Property "{name}" expects a string with the format "yyyy-mm-dd H:i:s" as data, '
        f'"{operand}" given.',
    )


def parse_time(value: str) -> datetime:
    """An item's ISO 8601 time (with its offset) as an aware datetime."""
    return datetime.fromisoformat(value)


def format_time(moment: datetime) -> str:
    """The PIM's ISO 8601 form: seconds and the offset, e.g. 2026-01-05T10:00:00+00:00."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()
