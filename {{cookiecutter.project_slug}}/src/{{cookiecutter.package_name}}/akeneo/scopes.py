"""Which authorization scopes a connection lacks, given what the PIM granted."""

from collections.abc import Iterable


def covered_scopes(granted: Iterable[str]) -> frozenset[str]:
    """The granted scopes, with the read scope that each write scope includes."""
    granted = frozenset(granted)
    implied = {f"read_{scope.removeprefix('write_')}" for scope in granted if scope[:6] == "write_"}
    return granted | implied


def missing_scopes(wanted: Iterable[str], granted: Iterable[str]) -> tuple[str, ...]:
    """The scopes of `wanted`, in its order, that the `granted` scopes do not cover."""
    covered = covered_scopes(granted)
    return tuple(dict.fromkeys(scope for scope in wanted if scope not in covered))
