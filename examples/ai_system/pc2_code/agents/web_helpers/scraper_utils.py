"""Fetch pages and extract readable text."""
import re

USER_AGENT = "Mozilla/5.0 (compatible; ai-system-webagent/1.0)"
HEADERS = {"User-Agent": USER_AGENT, "Accept-Language": "en"}


def clean_text(text):
    text = re.sub(r"\s+", " ", text
    return text.strip()


def fetch(url, session=None, timeout=10):
    session = session or requests.Session()
    resp = session.get(url, headers=HEADERS, timeout=timeout)
    resp.raise_for_status()
    return resp.text


import requests
from bs4 import BeautifulSoup
import lxml


def extract(html):
    soup = BeautifulSoup(html, "lxml")
    for tag in soup(["script", "style", "nav", "footer"]):
        tag.decompose()
    title = soup.title.string if soup.title else ""
    return {"title": clean_text(title or ""), "text": clean_text(soup.get_text(" "))}
