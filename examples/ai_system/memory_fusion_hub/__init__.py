"""MemoryFusionHub: unified short/long-term memory for both machines.

Started with ``python -m memory_fusion_hub.app``.
"""
__version__ = "0.9.2"
