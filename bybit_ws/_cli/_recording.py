"""``stream --record`` files: the `Recorder` that writes them and `load_recording` that reads them back."""

from __future__ import annotations

import json
import threading
from typing import IO, Any, NamedTuple
from urllib.parse import urlsplit

from bybit_ws._cli._topics import APIS, UsageError
from bybit_ws._client import MAINNET_URLS
from bybit_ws.models._common import DataEvent

__all__ = ["RECORDING_FORMAT", "Frame", "Recorder", "load_recording"]

RECORDING_FORMAT = 1


class Recorder:
    """``--record``: a header line, then one JSON line per data frame, written from handler threads."""

    def __init__(self, path: str, header: dict[str, Any]) -> None:
        self._file: IO[str] | None = open(path, "w", encoding="utf-8")  # noqa: SIM115
        self._lock = threading.Lock()
        self._write({"bybit_ws_recording": RECORDING_FORMAT, **header})

    def record(self, event: DataEvent[Any], key: str, url: str) -> None:
        if event.original_data is None:
            return
        self._write(
            {
                "t": event.timestamp.timestamp(),
                "key": key,
                "url": url,
                "topic": event.topic,
                "frame": event.original_data,
            }
        )

    def _write(self, line: dict[str, Any]) -> None:
        text = json.dumps(line, separators=(",", ":")) + "\n"
        with self._lock:
            if self._file is not None:
                self._file.write(text)
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


class Frame(NamedTuple):
    t: float
    key: str
    topic: str
    text: str


def load_recording(path: str) -> tuple[dict[str, Any], list[Frame]]:
    """The header and the frames (sorted by receive time) of a ``stream --record`` file.

    Raises:
        UsageError: the file cannot be read or is not a recording.
    """
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
                    raise ValueError("no bybit_ws recording header (write one with: stream --record FILE)")
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
