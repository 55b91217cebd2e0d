"""Routing a REST API request to its handler, after the PIM's header and scope checks.

The checks run in the PIM's order: the token (the caller, ``FakePim``), ``Accept`` (406), the
scope the endpoint needs (403), then the handler's own checks (``Content-Type``, body).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from .answers import Answer, ApiError, check_accept, json_answer
from .model import Catalogue


class Pim(Protocol):
    """What the API needs from the PIM that serves it."""

    url: str
    client_id: str

    def now(self) -> float: ...


@dataclass
class Call:
    """One request to one route: the request, its path parameters and the PIM's state."""

    request: httpx.Request
    params: dict[str, str]
    catalogue: Catalogue
    pim: Pim
    scopes: frozenset[str]

    def link(self, path: str) -> str:
        return f"{self.pim.url}{path}"

    def require(self, scope: str, action: str) -> None:
        """403 unless the token grants ``scope`` (directly or through a stronger scope)."""
        if not implied(scope) & self.scopes:
            raise ApiError(403, f"Access forbidden. You are not allowed to {action}.")


Handler = Callable[[Call], httpx.Response]


@dataclass(frozen=True)
class Endpoint:
    scope: str
    """The scope the token needs (a write scope grants the read one, delete grants both)."""
    action: str
    """What the 403 says the App may not do, e.g. "list products"."""
    handle: Handler


@dataclass
class Route:
    pattern: re.Pattern[str]
    methods: dict[str, Endpoint] = field(default_factory=dict)


def implied(scope: str) -> set[str]:
    """The scopes that grant ``scope``: itself, and for read or write the stronger ones."""
    verb, _, subject = scope.partition("_")
    if verb == "read":
        return {scope, f"write_{subject}", f"delete_{subject}"}
    if verb == "write":
        return {scope, f"delete_{subject}"}
    return {scope}


class Router:
    """Routes by path pattern and method; ``{name}`` in a path matches one segment."""

    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(self, method: str, path: str, scope: str, action: str, handle: Handler) -> None:
        regex = re.sub(r"\{(\w+)\*\}", r"(?P<\1>.+)", path)
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", regex)
        pattern = re.compile(f"^{regex}$")
        for route in self._routes:
            if route.pattern.pattern == pattern.pattern:
                break
        else:
            route = Route(pattern)
            self._routes.append(route)
        route.methods[method] = Endpoint(scope, action, handle)

    def route(
        self, request: httpx.Request, catalogue: Catalogue, pim: Pim, scopes: frozenset[str]
    ) -> httpx.Response | None:
        """The answer of the matching route; None when no route has this path."""
        path = request.url.path
        for route in self._routes:
            match = route.pattern.match(path)
            if match is None:
                continue
            endpoint = route.methods.get(request.method)
            if endpoint is None:
                allowed = ", ".join(route.methods)
                message = f'No route found for "{request.method} {path}": Method Not Allowed'
                return json_answer(405, {"code": 405, "message": f"{message} (Allow: {allowed})"})
            call = Call(request, match.groupdict(), catalogue, pim, scopes)
            try:
                check_accept(request)
                call.require(endpoint.scope, endpoint.action)
                return endpoint.handle(call)
            except ApiError as error:
                return error.response()
            except Answer as answer:
                return answer.response
        return None
