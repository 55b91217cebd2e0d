"""Dialling a PIM: the resolved addresses, tried in turn, over real loopback sockets."""
{% if cookiecutter.framework == "fastapi" %}
import asyncio
{%- endif %}
from collections.abc import Iterator, Sequence

import httpx
import pytest

from {{ cookiecutter.package_name }}.akeneo.errors import PimUnreachable
from {{ cookiecutter.package_name }}.akeneo.network import (
    AddressPolicy,
    PimTransport,
    system_resolver,
)
from {{ cookiecutter.package_name }}.akeneo.transport import send
from tests.hostile_pim import HostilePim, json_text, public_roots


@pytest.fixture
def pim() -> Iterator[HostilePim]:
    server = HostilePim(json_text("200 OK", b'{"answered": true}'))
    yield server
    server.close()


def resolving_to(*addresses: str) -> AddressPolicy:
    def resolve(host: str, port: int) -> Sequence[str]:
        return addresses

    return AddressPolicy(public_only=False, resolve=resolve)


def get(url: str, policy: AddressPolicy) -> httpx.Response:
{%- if cookiecutter.framework == "flask" %}
    transport = PimTransport(policy, verify=public_roots())
    with httpx.Client(transport=transport, timeout=2) as client:
        return send(client, httpx.Request("GET", url))
{%- else %}

    async def getting() -> httpx.Response:
        transport = PimTransport(policy, verify=public_roots())
        async with httpx.AsyncClient(transport=transport, timeout=2) as client:
            return await send(client, httpx.Request("GET", url))

    return asyncio.run(getting())
{%- endif %}


def test_the_system_resolver_gives_the_addresses_of_a_name() -> None:
    assert {"127.0.0.1", "::1"} & set(system_resolver("localhost", 80))


def test_the_pim_is_dialled_on_the_resolved_address_with_its_host_name(pim: HostilePim) -> None:
    response = get(f"http://pim.example.test:{pim.port}/", resolving_to("127.0.0.1"))

    assert response.json() == {"answered": True}
    [request] = pim.requests
    assert request.headers["Host"] == f"pim.example.test:{pim.port}"


def test_the_next_address_is_dialled_when_one_refuses(pim: HostilePim) -> None:
    # Nothing listens on 127.0.0.2 (the PIM listens on 127.0.0.1 only): refused at once.
    response = get(f"http://pim.example.test:{pim.port}/", resolving_to("127.0.0.2", "127.0.0.1"))

    assert response.json() == {"answered": True}
    assert pim.connections == 1


@pytest.mark.parametrize("addresses", [("127.0.0.2",), ()], ids=["refusing", "unresolved"])
def test_a_host_without_an_answering_address_is_unreachable(
    pim: HostilePim, addresses: tuple[str, ...]
) -> None:
    with pytest.raises(PimUnreachable, match="pim.example.test could not be"):
        get(f"http://pim.example.test:{pim.port}/", resolving_to(*addresses))

    assert pim.connections == 0
