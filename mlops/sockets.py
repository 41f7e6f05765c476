"""Listening sockets for the platform's servers (predictor, Audit API), bound before anything
else happens: a taken port or an address this machine lacks is bad input (exit 2) found before
a database, key or log is created."""

import errno
import socket

from mlops.errors import BadInputError


def listen(host: str, port: int) -> socket.socket:
    """The bound, listening socket for `host`:`port`."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError) as error:
        raise BadInputError(f"--host {host!r}: not an address of this machine: {error}") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise BadInputError(
                f"--port {port}: already in use on {host}; choose a free port"
            ) from None
        raise BadInputError(f"--host {host} --port {port}: cannot listen: {error}") from None
    return sock
