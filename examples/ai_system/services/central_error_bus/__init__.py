"""CentralErrorBus: collects ERROR events from every agent (ZMQ SUB on 7150)."""
