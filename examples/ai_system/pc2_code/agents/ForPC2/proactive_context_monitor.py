"""ProactiveContextMonitor (PC2): watches conversation context and raises hints."""
import asyncio
import sys

import redis.asyncio as aioredis
import zmq
import zmq.asyncio

from common.base_agent import BaseAgent
from common.redis_client import redis_url
from pc2_code.agents.ForPC2.context_rules import load_topics, topic_of

if sys.platform != "win32":
    import uvloop

CONTEXT_CHANNEL = "context:events"


class ProactiveContextMonitor(BaseAgent):
    def __init__(self, port: int = 7119, health_port: int = 8119):
        super().__init__("ProactiveContextMonitor", port, health_port)
        self.topics = {}
        self.watched = load_topics()
        self.loop = None

    async def watch(self):
        client = aioredis.from_url(redis_url(), decode_responses=True)
        pubsub = client.pubsub()
        await pubsub.subscribe(CONTEXT_CHANNEL)
        pub = zmq.asyncio.Context.instance().socket(zmq.PUB)
        pub.bind(f"tcp://*:{self.port}")
        async for message in pubsub.listen():
            if not self.running:
                break
            if message.get("type") != "message":
                continue
            topic = topic_of(message["data"])
            if topic not in self.watched:
                continue
            self.topics[topic] = self.topics.get(topic, 0) + 1
            if self.topics[topic] == self.watched[topic]:
                await pub.send_json({"hint": f"user keeps talking about {topic}"})

    def setup(self):
        if sys.platform != "win32":
            uvloop.install()
        self.loop = asyncio.new_event_loop()
        self.loop.create_task(self.watch())

    def tick(self):
        self.loop.run_until_complete(asyncio.sleep(0.5))


def main() -> None:
    agent = ProactiveContextMonitor()
    agent.run()


if __name__ == "__main__":
    main()
