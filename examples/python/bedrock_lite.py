"""A small typed wrapper over bedrock-lite's C API (bedrock_lite.h) with ctypes from the standard
library: no package to install, no compiler needed.

    with Client(library="libbedrock_lite.so", replay_dir="fixtures/...") as client:
        answer = client.converse("us.amazon.nova-micro-v1:0", {"messages": [...]})
        for event in client.converse_stream(model_id, request):
            print(event.type, event.payload)
        tokens = client.count_tokens(model_id, request)

Ownership follows bedrock_lite.h exactly: every string and error the library hands out is
copied into Python objects and freed once, right there; nothing else is ever freed.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import json
import os
import queue
import threading
from dataclasses import dataclass
from typing import Any, Dict, Iterator, Optional

OK = 0
CANCELLED = 9


class _Config(ctypes.Structure):
    # bedrock_lite_config, member for member, as bedrock_lite.h declares it for this SONAME
    # (bedrock_lite_config_init() writes the whole struct).
    _fields_ = [
        ("struct_size", ctypes.c_size_t),
        ("region", ctypes.c_char_p),
        ("endpoint_url", ctypes.c_char_p),
        ("profile", ctypes.c_char_p),
        ("max_attempts", ctypes.c_int),
        ("connect_timeout_ms", ctypes.c_long),
        ("read_timeout_ms", ctypes.c_long),
        ("total_timeout_ms", ctypes.c_long),
        ("replay_dir", ctypes.c_char_p),
        ("record_mode", ctypes.c_char_p),
    ]


_STREAM_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p)


@functools.lru_cache(maxsize=None)
def load_library(path: Optional[str] = None) -> ctypes.CDLL:
    """Opens libbedrock_lite (once per path): `path`, else $BEDROCK_LITE_LIBRARY, else the
    loader's search."""
    path = path or os.environ.get("BEDROCK_LITE_LIBRARY") or ctypes.util.find_library("bedrock_lite")
    if not path:
        raise OSError("libbedrock_lite not found: pass library= or set BEDROCK_LITE_LIBRARY")
    lib = ctypes.CDLL(path)
    # Strings the library allocates come back as c_void_p so that ctypes does not copy and lose
    # the pointer: we copy them ourselves and free the original exactly once.
    p, cp, vp = ctypes.POINTER, ctypes.c_char_p, ctypes.c_void_p
    signatures = {
        "bedrock_lite_config_init": (None, [p(_Config)]),
        "bedrock_lite_client_create": (ctypes.c_int, [p(_Config), p(vp), p(vp)]),
        "bedrock_lite_client_destroy": (None, [vp]),
        "bedrock_lite_converse": (ctypes.c_int, [vp, cp, cp, p(vp), p(vp)]),
        "bedrock_lite_converse_stream": (
            ctypes.c_int, [vp, cp, cp, _STREAM_CALLBACK, vp, p(vp), p(vp)]),
        "bedrock_lite_count_tokens": (
            ctypes.c_int, [vp, cp, cp, p(vp), p(ctypes.c_longlong), p(vp)]),
        "bedrock_lite_string_free": (None, [vp]),
        "bedrock_lite_error_status": (ctypes.c_int, [vp]),
        "bedrock_lite_error_kind_name": (cp, [vp]),
        "bedrock_lite_error_aws_type": (cp, [vp]),
        "bedrock_lite_error_message": (cp, [vp]),
        "bedrock_lite_error_request_id": (cp, [vp]),
        "bedrock_lite_error_http_status": (ctypes.c_int, [vp]),
        "bedrock_lite_error_retryable": (ctypes.c_int, [vp]),
        "bedrock_lite_error_free": (None, [vp]),
        "bedrock_lite_version": (cp, []),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    return lib


class BedrockLiteError(Exception):
    """A failed call: the error object's fields (docs/errors.md), copied before it was freed."""

    def __init__(self, status: int, kind: str, aws_type: str, message: str, http_status: int,
                 request_id: str, retryable: bool):
        super().__init__(f"{aws_type or kind}: {message}")
        self.status = status
        self.kind = kind
        self.aws_type = aws_type
        self.message = message
        self.http_status = http_status
        self.request_id = request_id
        self.retryable = retryable


@dataclass(frozen=True)
class StreamEvent:
    type: str             # "messageStart", "contentBlockDelta", ... as the service named it
    payload: Dict[str, Any]


class Client:
    """One bedrock_lite_client. Thread-safe like the C one; close() (or the with block) frees it."""

    def __init__(self, library: Optional[str] = None, *, region: Optional[str] = None,
                 endpoint_url: Optional[str] = None, profile: Optional[str] = None,
                 replay_dir: Optional[str] = None, record_mode: Optional[str] = None,
                 max_attempts: int = 0):
        self._lib = load_library(library)
        config = _Config()
        self._lib.bedrock_lite_config_init(ctypes.byref(config))
        # The bytes objects live in this frame until create() has copied them.
        keep = {name: value.encode() for name, value in
                (("region", region), ("endpoint_url", endpoint_url), ("profile", profile),
                 ("replay_dir", replay_dir), ("record_mode", record_mode)) if value is not None}
        for name, value in keep.items():
            setattr(config, name, value)
        config.max_attempts = max_attempts
        handle = ctypes.c_void_p()
        error = ctypes.c_void_p()
        status = self._lib.bedrock_lite_client_create(ctypes.byref(config), ctypes.byref(handle),
                                                      ctypes.byref(error))
        if status != OK:
            raise self._take_error(status, error)
        self._handle: Optional[ctypes.c_void_p] = handle

    def close(self) -> None:
        if self._handle is not None:
            self._lib.bedrock_lite_client_destroy(self._handle)
            self._handle = None

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_handle", None) is not None:
            self.close()

    def converse(self, model_id: str, request: Dict[str, Any]) -> Dict[str, Any]:
        response = ctypes.c_void_p()
        error = ctypes.c_void_p()
        status = self._lib.bedrock_lite_converse(self._live(), model_id.encode(),
                                                 json.dumps(request).encode(),
                                                 ctypes.byref(response), ctypes.byref(error))
        if status != OK:
            raise self._take_error(status, error)
        return json.loads(self._take_string(response))

    def count_tokens(self, model_id: str, request: Dict[str, Any]) -> int:
        tokens = ctypes.c_longlong()
        error = ctypes.c_void_p()
        status = self._lib.bedrock_lite_count_tokens(self._live(), model_id.encode(),
                                                     json.dumps(request).encode(), None,
                                                     ctypes.byref(tokens), ctypes.byref(error))
        if status != OK:
            raise self._take_error(status, error)
        return tokens.value

    def converse_stream(self, model_id: str, request: Dict[str, Any]) -> Iterator[StreamEvent]:
        """Yields each event as the library delivers it. The call runs on a worker thread (the C
        callback pushes, this iterator pulls); leaving the loop early stops the stream."""
        events: "queue.Queue[Any]" = queue.Queue()
        stop = threading.Event()
        done = object()

        @_STREAM_CALLBACK
        def on_event(event_type: bytes, payload: bytes, _user: Any) -> int:
            # Both strings are valid only during this call: ctypes has already copied them.
            if stop.is_set():
                return 1
            events.put(StreamEvent(event_type.decode(), json.loads(payload)))
            return 0

        outcome: Dict[str, Any] = {}

        def run() -> None:
            error = ctypes.c_void_p()
            outcome["status"] = self._lib.bedrock_lite_converse_stream(
                self._live(), model_id.encode(), json.dumps(request).encode(), on_event, None,
                None, ctypes.byref(error))
            if outcome["status"] != OK:
                outcome["error"] = self._take_error(outcome["status"], error)
            events.put(done)

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        try:
            while True:
                item = events.get()
                if item is done:
                    break
                yield item
        finally:
            stop.set()
            worker.join()
        if "error" in outcome and outcome["status"] != CANCELLED:
            raise outcome["error"]

    def _live(self) -> ctypes.c_void_p:
        if self._handle is None:
            raise ValueError("bedrock_lite client is closed")
        return self._handle

    def _take_string(self, pointer: ctypes.c_void_p) -> str:
        try:
            return ctypes.string_at(pointer).decode()
        finally:
            self._lib.bedrock_lite_string_free(pointer)

    def _take_error(self, status: int, error: ctypes.c_void_p) -> BedrockLiteError:
        if not error:
            return BedrockLiteError(status, "", "", f"status {status}", 0, "", False)
        lib = self._lib
        try:
            return BedrockLiteError(status, lib.bedrock_lite_error_kind_name(error).decode(),
                                    lib.bedrock_lite_error_aws_type(error).decode(),
                                    lib.bedrock_lite_error_message(error).decode(),
                                    lib.bedrock_lite_error_http_status(error),
                                    lib.bedrock_lite_error_request_id(error).decode(),
                                    bool(lib.bedrock_lite_error_retryable(error)))
        finally:
            lib.bedrock_lite_error_free(error)
