"""AsyncProcessor (PC2): runs queued background jobs with bounded concurrency."""
import asyncio
import time

<<<<<<< HEAD
import zmq.asyncio
=======
import zmq
import zmq.asyncio
import psutil
>>>>>>> pc2-perf

from common.base_agent import BaseAgent

MAX_CONCURRENCY = 4


class AsyncProcessor(BaseAgent):
    def __init__(self, port: int = 7101, health_port: int = 8101):
        super().__init__("AsyncProcessor", port, health_port)
        self.done = 0

    async def job(self, payload):
        await asyncio.sleep(float(payload.get("seconds", 0.1)))
        self.done += 1
        return {"id": payload.get("id"), "finished": time.time()}

    async def serve(self):
        ctx = zmq.asyncio.Context.instance()
        sock = ctx.socket(zmq.PULL)
        sock.bind(f"tcp://*:{self.port}")
        limit = asyncio.Semaphore(MAX_CONCURRENCY)
        while self.running:
            payload = await sock.recv_json()
            async with limit:
                asyncio.ensure_future(self.job(payload))

    def setup(self):
        self.loop = asyncio.new_event_loop()
        self.loop.create_task(self.serve())


import aiohttp
from pc2_code.utils.pc2_zmq import pc2_context


def main() -> None:
    agent = AsyncProcessor()
    agent.run()


if __name__ == "__main__":
    main()
