"""`load_recording`: what ``replay`` serves. The ``record`` command's and ``stream --record``'s recordings
(format 2, :mod:`bybit_ws.recording`: compressed, one file or a directory), and the single-file JSON-lines
recordings older ``stream --record`` wrote (format 1: a header, then ``{"t", "key", "url", "topic",
"frame"}`` lines)."""

from __future__ import annotations

import json
import os
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from bybit_ws._cli._topics import APIS, UsageError
from bybit_ws.api._client import MAINNET_URLS
from bybit_ws.recording import frames as recorded_frames
from bybit_ws.recording import recording_files
from bybit_ws.recording._reader import _lines

__all__ = ["Frame", "load_recording"]

_COMPRESSED = (b"\x28\xb5\x2f\xfd", b"\x1f\x8b")  # zstd, gzip


class Frame(NamedTuple):
    t: float
    key: str
    topic: str
    text: str


def load_recording(path: str) -> tuple[dict[str, Any], list[Frame]]:
    """The header and the frames (sorted by receive time) of a ``record`` or ``stream --record`` file or
    directory (:mod:`bybit_ws.recording`'s format, any compression), or of an older ``stream --record``
    file (format 1).

    Raises:
        UsageError: the file cannot be read or is not a recording.
    """
    if os.path.isdir(path) or not _is_format_1(path):
        return _load_recorded(path)
    try:
        with open(path, encoding="utf-8") as file:
            lines = [(n, line) for n, line in enumerate(file, 1) if line.strip()]
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    header: dict[str, Any] | None = None
    frames: list[Frame] = []
    for number, line in lines:
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("not a JSON object")
            if header is None:
                if "bybit_ws_recording" not in item or item.get("api") not in APIS:
                    raise ValueError("no bybit_ws recording header (write one with: record --out DIR)")
                header = item
                continue
            frames.append(Frame(float(item["t"]), _frame_key(item), str(item["topic"]), item["frame"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise UsageError(f"{path}, line {number}: not a bybit_ws recording line: {exc}") from None
    if header is None:
        raise UsageError(f"{path} is empty")
    frames.sort(key=lambda f: f.t)
    return header, frames


def _frame_key(item: dict[str, Any]) -> str:
    key = item.get("key")
    if isinstance(key, str) and key in MAINNET_URLS:
        return key
    path = urlsplit(str(item.get("url", ""))).path
    for name, url in MAINNET_URLS.items():
        if urlsplit(url).path == path:
            return name
    raise ValueError("the frame names no known endpoint")


def _is_format_1(path: str) -> bool:
    """Whether ``path`` is an older ``stream --record`` file: plain text with a format-1 header (or neither
    such a file nor a compressed one: the format-1 reader reports what is wrong with it)."""
    try:
        with open(path, "rb") as file:
            head = file.readline(4096)
        if head.startswith(_COMPRESSED):
            return False
        return not head.startswith(b'{"bybit_ws_recording"') or json.loads(head)["bybit_ws_recording"] == 1
    except (OSError, ValueError, KeyError, TypeError):
        return True


def _load_recorded(path: str) -> tuple[dict[str, Any], list[Frame]]:
    """A :mod:`bybit_ws.recording` file or directory: the first file's header, with the API, category
    and topics inferred from the frames when the header does not name them (a library `Recorder`)."""
    try:
        files = recording_files(path)
        if not files:
            raise ValueError("no recording files (*.jsonl.zst, *.jsonl.gz, *.jsonl) in it")
        first = next(_lines(files[0]), b"")
        header = json.loads(first) if first else {}
        if not isinstance(header, dict):
            raise ValueError("not a bybit_ws recording")
        frames = [Frame(f.t, f.endpoint, f.topic, f.text) for f in recorded_frames(path)]
    except (OSError, ValueError, ImportError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    unknown = sorted({f.key for f in frames} - set(MAINNET_URLS))
    if unknown:
        raise UsageError(f"{path}: frames of unknown endpoints {', '.join(map(repr, unknown))}")
    keys = sorted({f.key for f in frames})
    if header.get("api") not in APIS:
        families = {"v5" if key.startswith("v5.") else key for key in keys}
        if len(families) != 1:
            raise UsageError(f"{path}: frames of {len(families)} APIs ({', '.join(sorted(families))})")
        header["api"] = families.pop()
    if header["api"] == "v5" and "category" not in header:
        categories = [k[3:] for k in keys if k[3:] in ("linear", "inverse", "spot", "option")]
        header["category"] = categories[0] if categories else "linear"
    frames.sort(key=lambda f: f.t)
    return header, frames
