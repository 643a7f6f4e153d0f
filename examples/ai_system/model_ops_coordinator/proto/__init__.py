"""Generated gRPC code. protoc emits ``import model_ops_pb2`` (a bare name) in
model_ops_pb2_grpc.py, so this directory is put on sys.path."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
