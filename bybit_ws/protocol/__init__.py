"""The sans-I/O core: no sockets, no threads, no clock of its own.

Pure objects the engine's threads drive: they take what arrived (bytes, replies, clock readings) and say
what to do next (events, bytes to send, what completed, the next deadline, the connection's state). The
reader and supervisor threads at the edges do the I/O. Nothing here imports the rest of the engine, so
every rule they enforce is tested without a socket:

- ``frames``: websocket framing and the close handshake (RFC 6455);
- ``requests``: reply matching (at most once; an anonymous failure completes no order);
- ``heartbeat``: ping, pong and stale-feed deadlines;
- ``state``: the connection state and its allowed transitions.
"""
