"""Password hashing and signed session tokens.

Standard library only; when PyJWT is installed tokens are real JWTs.
"""
import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from typing import Optional

try:
    import jwt
except ImportError:
    jwt = None

_SECRET = os.environ.get("AUTH_SECRET", "dev-secret-change-me").encode("utf-8")
_ITERATIONS = 120_000


def hash_password(password: str, salt: Optional[bytes] = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, _ITERATIONS)
    return base64.b64encode(salt + digest).decode("ascii")


def verify_password(password: str, stored: str) -> bool:
    raw = base64.b64decode(stored.encode("ascii"))
    salt, digest = raw[:16], raw[16:]
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, _ITERATIONS)
    return hmac.compare_digest(candidate, digest)


def issue_token(user: str, ttl: int = 3600) -> str:
    claims = {"sub": user, "exp": int(time.time()) + ttl}
    if jwt is not None:
        return jwt.encode(claims, _SECRET, algorithm="HS256")
    body = base64.urlsafe_b64encode(json.dumps(claims).encode("utf-8")).decode("ascii")
    sig = hmac.new(_SECRET, body.encode("ascii"), hashlib.sha256).hexdigest()
    return f"{body}.{sig}"


def verify_token(token: str) -> Optional[str]:
    if jwt is not None:
        try:
            return jwt.decode(token, _SECRET, algorithms=["HS256"])["sub"]
        except jwt.PyJWTError:
            return None
    try:
        body, sig = token.rsplit(".", 1)
    except ValueError:
        return None
    expected = hmac.new(_SECRET, body.encode("ascii"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(sig, expected):
        return None
    claims = json.loads(base64.urlsafe_b64decode(body.encode("ascii")))
    return claims["sub"] if claims["exp"] > time.time() else None
