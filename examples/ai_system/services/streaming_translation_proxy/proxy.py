"""StreamingTranslationProxy: WebSocket on 5596, forwards to CloudTranslationService.

Each client message is {"text": ..., "target": ...}; replies stream back as
they arrive. Health on 6596.
"""
import asyncio
import os
import signal

import websockets
import zmq
import zmq.asyncio
from lang_codes import normalize

from common.env_helpers import port_with_offset
from common.health import HealthServer, resolve_health_port

try:
    import orjson as json_lib
except ImportError:
    import json as json_lib

TRANSLATION_PORT = 5592


async def translate(ctx, text, target):
    sock = ctx.socket(zmq.REQ)
    sock.connect(f"tcp://{os.environ.get('TRANSLATION_HOST', 'localhost')}:{port_with_offset(TRANSLATION_PORT)}")
    try:
        await sock.send_json({"text": text, "target": normalize(target)})
        return await asyncio.wait_for(sock.recv_json(), timeout=15)
    finally:
        sock.close(0)


async def handler(websocket):
    ctx = zmq.asyncio.Context.instance()
    async for message in websocket:
        request = json_lib.loads(message)
        reply = await translate(ctx, request.get("text", ""), request.get("target", "en"))
        data = json_lib.dumps(reply)
        await websocket.send(data.decode() if isinstance(data, bytes) else data)


async def serve():
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with websockets.serve(handler, "0.0.0.0", port_with_offset(5596)):
        await stop


def main():
    health = HealthServer(resolve_health_port(6596))
    health.start()
    try:
        asyncio.run(serve())
    finally:
        health.stop()


if __name__ == "__main__":
    main()
