"""The sans-I/O core: no sockets, no threads, no clock of its own.

Pure objects the engine's threads drive: they are fed what arrived (bytes, replies, the time) and say
what to do next (what completed, when the next deadline is, which state the connection is in). Nothing
here imports the rest of the engine.
"""
