"""General helpers.

NOTE: a stale ``common/utils.py`` sits next to this package. Python imports
this package for ``common.utils``; the file is never loaded.
"""
import functools
import time


def retry(times=3, delay=0.5, exceptions=(Exception,)):
    def decorator(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            for attempt in range(times):
                try:
                    return func(*args, **kwargs)
                except exceptions:
                    if attempt == times - 1:
                        raise
                    time.sleep(delay * (2 ** attempt))
        return wrapper
    return decorator


def chunked(items, size):
    for start in range(0, len(items), size):
        yield items[start:start + size]
