"""Generated gRPC code for MemoryFusionHub (memory.proto)."""
