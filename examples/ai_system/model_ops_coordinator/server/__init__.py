"""Network frontends (gRPC, ZMQ) for ModelOpsCoordinator."""
