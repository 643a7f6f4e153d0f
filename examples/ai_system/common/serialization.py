"""JSON (and optionally msgpack) encoding with graceful fallbacks."""
from typing import Any

try:
    import orjson as json_lib
except ImportError:
    try:
        import ujson as json_lib
    except ImportError:
        import json as json_lib

try:
    import msgpack
except ModuleNotFoundError:
    msgpack = None


def dumps(obj: Any) -> bytes:
    data = json_lib.dumps(obj)
    return data if isinstance(data, bytes) else data.encode("utf-8")


def loads(data: bytes) -> Any:
    return json_lib.loads(data)


def pack(obj: Any) -> bytes:
    if msgpack is None:
        return dumps(obj)
    return msgpack.packb(obj, use_bin_type=True)


def unpack(data: bytes) -> Any:
    if msgpack is None:
        return loads(data)
    return msgpack.unpackb(data, raw=False)
