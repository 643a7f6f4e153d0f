"""Stage 2, the scan: each file's imports, then each agent's first-party closure from its entrypoint.

``extract`` turns one file's bytes into import sites (``recover`` and ``lexer`` for text that does not
parse, ``markers`` for ``if`` tests over the platform, ``syspath`` for static ``sys.path`` edits);
``cache`` is the content-keyed parse cache; ``walk`` resolves modules the way CPython's path finder
would and propagates kinds along the closure. May import :mod:`depmin.manifest`.
"""
