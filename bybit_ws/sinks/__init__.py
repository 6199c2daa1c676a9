"""Sinks: where ``client.record(sink)`` sends raw frames, for more than one process or machine.

>>> from bybit_ws.sinks import RedisStreamSink, read_redis              # extra [redis]
>>> sink = RedisStreamSink("redis://localhost:6379/0")                  # doctest: +SKIP
>>> client.record(sink)                                                 # doctest: +SKIP
>>> for event in read_redis("redis://localhost:6379/0", ["publicTrade.BTCUSDT"]):  # doctest: +SKIP
...     ...                                         # typed DataEvents, as the live client's

A sink (:class:`Sink`) takes each frame on the reader thread as an append to a bounded buffer;
:class:`BufferedSink` is the base of those that hand frames on from a thread of their own, with
:class:`SinkStats`. :class:`bybit_ws.recording.Recorder` is a sink too (local files).
"""

from __future__ import annotations

from ._buffered import BufferedSink, Sink, SinkStats
from ._redis import RedisStreamSink, read_redis

__all__ = ["BufferedSink", "RedisStreamSink", "Sink", "SinkStats", "read_redis"]
