"""UnifiedWebAgent (PC2): web search and page summarisation for the assistant.

A web *client* (requests + BeautifulSoup); it does not serve HTTP. Pages that
need JavaScript are rendered with Selenium when it is installed.
"""
from common.net.http_client import make_session
from common.zmq_agent import ZmqAgent
from pc2_code.agents.web_helpers.scraper_utils import extract, fetch

SEARCH_URL = "https://html.duckduckgo.com/html/"


class UnifiedWebAgent(ZmqAgent):
    def __init__(self, port: int = 7126, health_port: int = 8126):
        super().__init__("UnifiedWebAgent", port, health_port)
        self.session = make_session()

    def render_js(self, url):
        try:
            from selenium import webdriver
            from selenium.webdriver.chrome.options import Options
        except ImportError:
            return fetch(url, self.session)
        options = Options()
        options.add_argument("--headless=new")
        driver = webdriver.Chrome(options=options)
        try:
            driver.get(url)
            return driver.page_source
        finally:
            driver.quit()

    def search(self, query):
        from bs4 import BeautifulSoup

        resp = self.session.post(SEARCH_URL, data={"q": query}, timeout=10)
        soup = BeautifulSoup(resp.text, "html.parser")
        return [a.get("href") for a in soup.select("a.result__a")][:5]

    def handle_request(self, request):
        if request.get("action") == "search":
            return {"status": "ok", "results": self.search(request["query"])}
        url = request["url"]
        html = self.render_js(url) if request.get("js") else fetch(url, self.session)
        return {"status": "ok", "page": extract(html)}


def main() -> None:
    agent = UnifiedWebAgent()
    agent.run()


if __name__ == "__main__":
    main()
