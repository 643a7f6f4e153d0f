# -*- coding: latin-1 -*-
"""CloudTranslationService: translation through a cloud API, with a local cache.

Exemple d'usage: "café crème" -> "coffee with cream" (fr -> en).
"""
import hashlib
import html
import os

from common.net.http_client import make_session
from common.zmq_agent import ZmqAgent

API_URL = os.environ.get("TRANSLATE_API_URL", "https://translation.googleapis.com/language/translate/v2")
API_KEY = os.environ.get("TRANSLATE_API_KEY", "")


class CloudTranslationService(ZmqAgent):
    def __init__(self, port: int = 5592, health_port: int = 6592):
        super().__init__("CloudTranslationService", port, health_port)
        self.session = make_session()
        self.cache = {}
        self.client = None

    def _client(self):
        # préférer la bibliothèque officielle si elle est installée
        if self.client is None:
            try:
                from google.cloud import translate_v2 as translate
            except ImportError:
                return None
            self.client = translate.Client()
        return self.client

    def translate(self, text, target, source=None):
        key = hashlib.sha1(f"{source}:{target}:{text}".encode("utf-8")).hexdigest()
        if key in self.cache:
            return self.cache[key]
        client = self._client()
        if client is not None:
            result = client.translate(text, target_language=target, source_language=source)
            translated = result["translatedText"]
        else:
            resp = self.session.post(API_URL, params={"key": API_KEY},
                                     json={"q": text, "target": target, "source": source}, timeout=10)
            resp.raise_for_status()
            translated = resp.json()["data"]["translations"][0]["translatedText"]
        self.cache[key] = html.unescape(translated)
        return self.cache[key]

    def handle_request(self, request):
        text = self.translate(request["text"], request.get("target", "en"), request.get("source"))
        return {"status": "ok", "text": text}


def main() -> None:
    agent = CloudTranslationService()
    agent.run()


if __name__ == "__main__":
    main()
