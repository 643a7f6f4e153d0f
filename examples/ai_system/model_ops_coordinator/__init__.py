"""ModelOpsCoordinator: model loading, GPU leases and inference for MainPC.

Started with ``python -m model_ops_coordinator.app``.
"""
__version__ = "1.4.0"
