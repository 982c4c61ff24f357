"""httpx over the proxy's own SSH tunnel: every HTTP connection is a `direct-tcpip` channel opened in this process.

Why (issue 16): `proxy --ssh` used to start a tunnel that listened on a loopback TCP port, which any local user could
connect to and so use the SSH login of whoever runs Claude; and each message paid a socket hop and two pump threads.
Here no port exists: httpcore's pool gets a network backend whose "connections" are channels (`ChannelBackend`), so
the only way into the tunnel is this process. The URL keeps the address as the SSH host sees it
(`http://127.0.0.1:5000/mcp`), so the Host header a server bound to 127.0.0.1 checks is right by construction
(FACTS.md §B.14).

A pooled HTTP connection lives as long as its channel: when the tunnel reconnects, the old channels are closed, the
pool sees them readable-and-closed (`is_readable`) and opens new ones, waiting (bounded) for the tunnel to be up.
paramiko's errors become httpcore's, so the relay reports a broken tunnel the way it reports a broken socket.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import httpcore
import httpx
import paramiko

from plugboard.core.bridge.transport import BridgeStream, TrackingBackend

# Writes waiting for the next read are sent once this much has gathered: a large request body streams on instead
# of being held whole (the channel splits it into SSH packets anyway).
COALESCE_BYTES = 256 * 1024

OpenChannel = Callable[[str, int, float], paramiko.Channel]  # (host, port, wait at most) -> an open channel


class _ChannelShutter:
    """What `http_session.abort` finds as a channel stream's "socket": shutting it closes the channel, which wakes a
    thread blocked in its recv (paramiko's shutdown() alone does not)."""

    def __init__(self, channel: Any) -> None:
        self._channel = channel

    def shutdown(self, _how: int) -> None:
        with contextlib.suppress(Exception):
            self._channel.close()


class ChannelStream(httpcore.NetworkStream):
    """One paramiko channel as httpcore's network stream. paramiko's errors become httpcore's, so httpx reports a
    broken tunnel the way it reports a broken socket.

    Writes are held until the next read (or until `COALESCE_BYTES` are waiting) and sent as one: httpcore writes a
    request's head and body separately, each would be its own SSH packet, and sshd would write them to the server as
    two TCP segments without TCP_NODELAY — its Nagle then holds the body until the server ACKs the head, which a
    Linux server delays ~40 ms (measured: 46 ms p50 per call against stock uvicorn, 5 ms with this)."""

    def __init__(self, channel: Any) -> None:
        self._channel = channel
        self._pending: list[bytes] = []
        self._pending_bytes = 0

    def _flush(self, timeout: float | None) -> None:
        data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending, self._pending_bytes = [], 0
        try:
            self._channel.settimeout(timeout)
            self._channel.sendall(data)
        except TimeoutError as exc:
            raise httpcore.WriteTimeout(str(exc) or "timed out") from exc
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise httpcore.WriteError(str(exc) or type(exc).__name__) from exc

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._pending:
            self._flush(timeout)
        try:
            self._channel.settimeout(timeout)
            data: bytes = self._channel.recv(max_bytes)
        except TimeoutError as exc:
            raise httpcore.ReadTimeout(str(exc) or "timed out") from exc
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise httpcore.ReadError(str(exc) or type(exc).__name__) from exc
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        self._pending.append(buffer)
        self._pending_bytes += len(buffer)
        if self._pending_bytes >= COALESCE_BYTES:
            self._flush(timeout)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._channel.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> Any:
        raise httpcore.ConnectError("https through an SSH tunnel is not supported (the tunnel already encrypts)")

    def get_extra_info(self, info: str) -> Any:
        if info == "socket":
            return _ChannelShutter(self._channel)
        if info == "is_readable":
            # An idle pooled connection that is readable was closed by the server (or the tunnel dropped).
            channel = self._channel
            return bool(channel.closed or channel.eof_received or channel.recv_ready())
        return None


class ChannelBackend(TrackingBackend):
    """Connections as channels of an SSH tunnel: `open_channel(host, port, timeout)` waits (bounded) for the tunnel
    and opens a `direct-tcpip` channel to host:port as the SSH host sees it."""

    def __init__(self, open_channel: OpenChannel, max_wait_s: float) -> None:
        super().__init__()
        self._open_channel = open_channel
        self._max_wait_s = max_wait_s

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        wait = self._max_wait_s if timeout is None else min(timeout, self._max_wait_s)
        try:
            channel = self._open_channel(host, port, wait)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(str(exc) or "the tunnel did not come up in time") from exc
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        return self._opened(BridgeStream(ChannelStream(channel)))


def channel_transport(open_channel: OpenChannel, max_wait_s: float) -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport()
    transport._pool._network_backend = ChannelBackend(open_channel, max_wait_s)
    return transport
