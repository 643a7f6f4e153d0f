"""Logging configuration shared by all agents (standard library only)."""
import logging
import logging.handlers
import os
import sys

_FORMAT = "%(asctime)s %(levelname)s [%(name)s] %(message)s"
_configured = False


def setup_logging(level=None, log_file=None):
    """Configure the root logger once; later calls are no-ops."""
    global _configured
    if _configured:
        return
    level = level or os.environ.get("LOG_LEVEL", "INFO")
    handlers = [logging.StreamHandler(sys.stderr)]
    log_file = log_file or os.environ.get("LOG_FILE")
    if log_file:
        handlers.append(
            logging.handlers.RotatingFileHandler(log_file, maxBytes=5_000_000, backupCount=3)
        )
    logging.basicConfig(level=level, format=_FORMAT, handlers=handlers)
    _configured = True


def get_logger(name):
    setup_logging()
    return logging.getLogger(name)
