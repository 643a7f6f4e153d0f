#!/usr/bin/env python3
"""AuthenticationAgent (PC2): logins and session tokens for the other agents.

Line protocol on port 7116:
    LOGIN <user> <password>  ->  TOKEN <token> | DENIED
    VERIFY <token>           ->  USER <user> | INVALID
Users come from the agent's ``users`` mapping (name -> password hash); the
``AUTH_BOOTSTRAP_PASSWORD`` env var creates an ``admin`` user for development.
"""
import os
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
AGENTS_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(AGENTS_DIR))

from common.base_agent import BaseAgent  # noqa: E402
from common.line_server import LineServer  # noqa: E402
from utils.auth_helpers import (  # noqa: E402
    hash_password,
    issue_token,
    verify_password,
    verify_token,
)


class AuthenticationAgent(BaseAgent):
    def __init__(self, port: int = 7116, health_port: int = 8116) -> None:
        super().__init__("AuthenticationAgent", port, health_port)
        self.users = dict(self.config.get("users") or {})
        bootstrap = os.environ.get("AUTH_BOOTSTRAP_PASSWORD")
        if bootstrap:
            self.users.setdefault("admin", hash_password(bootstrap))
        self.token_ttl = int(self.config.get("token_ttl", 3600))
        self.lock = threading.Lock()
        self.logins = 0
        self.server = LineServer(self.port, self.handle_line)

    def setup(self) -> None:
        self.server.start()

    def handle_line(self, line: str) -> str:
        parts = line.split()
        if parts[0].upper() == "LOGIN" and len(parts) == 3:
            user, password = parts[1], parts[2]
            stored = self.users.get(user)
            if stored and verify_password(password, stored):
                with self.lock:
                    self.logins += 1
                return "TOKEN " + issue_token(user, self.token_ttl)
            return "DENIED"
        if parts[0].upper() == "VERIFY" and len(parts) == 2:
            user = verify_token(parts[1])
            return f"USER {user}" if user else "INVALID"
        return "ERROR unknown command"

    def health_status(self) -> str:
        return f"OK users={len(self.users)} logins={self.logins}"

    def cleanup(self) -> None:
        self.server.stop()


def main() -> None:
    agent = AuthenticationAgent()
    agent.run()


if __name__ == "__main__":
    main()
