"""Print which agent ports are open on this machine (old helper script)."""
import socket
import sys

PORTS = [7200, 7201, 7220, 5709, 5710, 5711, 7115, 7116, 8200, 8115, 8116]


def is_open(port):
    sock = socket.socket()
    sock.settimeout(0.5)
    try:
        return sock.connect_ex(("127.0.0.1", port)) == 0
    finally:
        sock.close()


for port in PORTS:
    print "%5d %s" % (port, "open" if is_open(port) else "-")


import yaml
