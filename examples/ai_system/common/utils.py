"""DEPRECATED: replaced by the common/utils/ package, which shadows this file.

Kept because old deployment scripts grep for it. Never imported.
"""
import simplejson
import tenacity


@tenacity.retry(stop=tenacity.stop_after_attempt(3))
def retry_call(func, *args, **kwargs):
    return func(*args, **kwargs)


def to_json(obj):
    return simplejson.dumps(obj)
