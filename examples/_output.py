"""Line output shared by the examples, as ``python -m bybit_ws`` prints: whole lines from any thread, and
a quiet stop when the reader goes away (``python examples/v5_stream.py | head -5``) instead of a
``BrokenPipeError`` traceback per event.

Handlers run on the client's worker threads, so a closed stdout cannot simply end the script where the
write failed: `say` sends further output to ``os.devnull`` (no error again at exit) and stops the script
as Ctrl-C would (the examples take that as "stop cleanly"; a script started with SIGINT ignored, as a
background job may be, goes quiet and runs to its end). In a notebook stdout never closes, and plain
``print`` does.
"""

from __future__ import annotations

import _thread
import contextlib
import os
import signal
import sys
import threading

__all__ = ["closed", "say", "say_and_finish"]

_lock = threading.Lock()
#: Set once stdout was found closed.
closed = threading.Event()
_stopping = threading.Event()  # the stop was asked for (once)


def _write(line: str) -> bool:
    """Write one whole line; False once stdout is closed (further output goes to ``os.devnull``)."""
    with _lock:
        if closed.is_set():
            return False
        try:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
            return True
        except BrokenPipeError:
            closed.set()
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return False


def say(line: str) -> None:
    """Print one whole line; once stdout is closed, print nothing and stop the script (exit status 0)."""
    if _write(line):
        return
    with _lock:
        if _stopping.is_set():  # asked for already
            return
        _stopping.set()
    if threading.current_thread() is threading.main_thread():
        raise SystemExit(0)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not when started with SIGINT ignored
        _thread.interrupt_main()  # a worker thread: the main thread stops as on Ctrl-C


def say_and_finish(line: str) -> None:
    """Print one whole line; once stdout is closed, print nothing but let the script finish its work
    (``trade_ws.py`` still cancels the order it placed)."""
    _write(line)
