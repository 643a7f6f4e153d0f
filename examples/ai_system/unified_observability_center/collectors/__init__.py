"""Metric collectors."""
from .base import Collector

__all__ = ["Collector"]
