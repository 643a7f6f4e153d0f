"""Core model management for ModelOpsCoordinator."""
