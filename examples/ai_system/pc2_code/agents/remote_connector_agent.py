"""RemoteConnectorAgent (PC2): calls external HTTP APIs on behalf of other agents."""
import asyncio

import aiohttp

from common.legacy_compat import quote
from common.zmq_agent import ZmqAgent

ALLOWED_HOSTS = {"api.openweathermap.org", "newsapi.org", "en.wikipedia.org"}


class RemoteConnectorAgent(ZmqAgent):
    def __init__(self, port: int = 7124, health_port: int = 8124):
        super().__init__("RemoteConnectorAgent", port, health_port)
        self.loop = asyncio.new_event_loop()
        self.timeout = aiohttp.ClientTimeout(total=float(self.config.get("timeout", 10)))

    async def fetch(self, url, params):
        async with aiohttp.ClientSession(timeout=self.timeout) as session:
            async with session.get(url, params=params) as resp:
                return resp.status, await resp.text()

    def handle_request(self, request):
        host = request.get("host", "")
        if host not in ALLOWED_HOSTS:
            return {"status": "error", "error": f"host {host} not allowed"}
        path = quote(request.get("path", "/"))
        status, body = self.loop.run_until_complete(
            self.fetch(f"https://{host}{path}", request.get("params", {}))
        )
        return {"status": "ok", "http_status": status, "body": body[:100000]}


def main() -> None:
    agent = RemoteConnectorAgent()
    agent.run()


if __name__ == "__main__":
    main()
