"""Where a model endpoint may point (a guard against server-side request forgery).

An endpoint URL makes this server connect wherever it says, so link-local addresses and
the cloud metadata services are always refused, and private and loopback addresses only
where the operator allows them (FAIRLABEL_LLM_ALLOW_PRIVATE_ENDPOINTS). The rule is
checked when an endpoint is registered and again on every new connection, against the
addresses the name resolves to then and that the socket is opened to, so that a name
re-pointed after registration (DNS rebinding) reaches nothing it could not before."""

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpcore2

from fairlabel.errors import ValidationFailed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog", "metadata"})
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class RefusedAddress(ValidationFailed):
    """An endpoint URL whose host is, or resolves to, an address endpoints may not use."""

    code = "refused_address"


def check_url(url: str) -> str:
    """The URL, without a trailing slash, if it can name an endpoint at all; where it
    points is checked by `check_host` (which needs the network)."""
    parts = urlsplit(url.strip())
    expected = "an http(s) URL such as https://llm.example.org/v1, without user or query"
    problem = _url_problem(parts)
    if problem:
        raise ValidationFailed(
            f"not an endpoint URL: {problem}", field="base_url", value=url, expected=expected
        )
    return parts.geturl().rstrip("/")


def _url_problem(parts: Any) -> str | None:
    if parts.scheme not in ("http", "https"):
        return "the scheme must be http or https"
    if not parts.hostname:
        return "it names no host"
    if parts.username is not None or parts.password is not None:
        return "credentials belong in the API key, not in the URL"
    if parts.query or parts.fragment:
        return "it has a query or fragment"
    try:
        _ = parts.port
    except ValueError:
        return "the port is not a number from 0 to 65535"
    return None


def host_and_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


def refusal(address: IPAddress, allow_private: bool) -> str | None:
    """Why endpoints may not use this address, or None if they may."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or (
            ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in NAT64 else None
        )
        if embedded is not None:
            return refusal(embedded, allow_private)
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast or address.is_unspecified:
        return "not an address of one server"
    if address.is_loopback or (not address.is_global and not address.is_reserved):
        return None if allow_private else "a private or loopback address (not allowed here)"
    if address.is_reserved:
        return "a reserved address"
    return None


def check_addresses(host: str, addresses: Iterable[str], allow_private: bool) -> None:
    """Refuse the host if any address it resolves to is refused: a name that points at
    both a public server and the metadata service is not one to trust."""
    for text in addresses:
        reason = refusal(ipaddress.ip_address(text), allow_private)
        if reason:
            raise RefusedAddress(
                f"the endpoint's host {host} is {reason}"
                + ("" if text == host else f": it resolves to {text}"),
                field="base_url",
                value=host,
                expected="a host endpoints may reach (see FAIRLABEL_LLM_ALLOW_PRIVATE_ENDPOINTS)",
            )


def _named_metadata(host: str) -> None:
    if host.rstrip(".").lower() in METADATA_HOSTS:
        raise RefusedAddress(
            f"the endpoint's host {host} is a cloud metadata service",
            field="base_url",
            value=host,
            expected="a host endpoints may reach",
        )


def check_host(url: str, allow_private: bool) -> None:
    """Registration: the host of a well-formed URL, resolved by the system resolver now."""
    host, port = host_and_port(url)
    _named_metadata(host)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise ValidationFailed(
            f"the endpoint's host {host} does not resolve",
            field="base_url",
            value=url,
            expected="a host name this server can resolve",
        ) from None
    check_addresses(host, [str(info[4][0]) for info in found], allow_private)


class GuardedBackend(httpcore2.AsyncNetworkBackend):
    """Opens each connection to an address it has just checked, never to one the name
    resolves to later: the check and the connection see the same address."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self.inner = httpcore2.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        _named_metadata(host)
        try:
            with anyio.fail_after(timeout):
                found = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as error:
            raise httpcore2.ConnectError(f"{host} does not resolve") from error
        except TimeoutError as error:
            raise httpcore2.ConnectTimeout(f"resolving {host} timed out") from error
        addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
        check_addresses(host, addresses, self.allow_private)
        last: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore2.ConnectError as error:
                last = error
        raise last or httpcore2.ConnectError(f"{host} has no address")

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore2.AsyncNetworkStream:
        raise httpcore2.ConnectError("model endpoints are reached over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)
