"""The sans-I/O core: no sockets, no threads.

Objects here take bytes (or replies, or clock readings) in and give events, bytes to send and deadlines
out; the reader and supervisor threads at the edges do the I/O. They import nothing of the engine, so
every rule they enforce is tested without a socket (``bybit_ws.protocol.frames``: websocket framing and
the close handshake, RFC 6455).
"""
