"""FileSystemAssistantAgent (PC2): safe file listing/reading inside allowed roots."""
import os
import os.path as osp
import threading

from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer

from common.zmq_agent import ZmqAgent

ALLOWED_ROOTS = [osp.expanduser("~/Documents"), "/srv/shared"]


class _Recorder(FileSystemEventHandler):
    def __init__(self):
        self.events = []
        self.lock = threading.Lock()

    def on_any_event(self, event):
        with self.lock:
            self.events.append((event.event_type, event.src_path))
            del self.events[:-500]


class FileSystemAssistantAgent(ZmqAgent):
    def __init__(self, port: int = 7123, health_port: int = 8123):
        super().__init__("FileSystemAssistantAgent", port, health_port)
        self.roots = [osp.realpath(r) for r in self.config.get("roots", ALLOWED_ROOTS)]
        self.recorder = _Recorder()
        self.observer = Observer()

    def setup(self):
        super().setup()
        for root in self.roots:
            if osp.isdir(root):
                self.observer.schedule(self.recorder, root, recursive=True)
        self.observer.start()

    def allowed(self, path):
        real = osp.realpath(path)
        return any(real == r or real.startswith(r + os.sep) for r in self.roots)

    def handle_request(self, request):
        path = request.get("path", "")
        if not self.allowed(path):
            return {"status": "error", "error": "path outside allowed roots"}
        if request.get("action") == "read":
            with open(path, encoding="utf-8", errors="replace") as fh:
                return {"status": "ok", "content": fh.read(65536)}
        if request.get("action") == "events":
            return {"status": "ok", "events": list(self.recorder.events)}
        return {"status": "ok", "entries": sorted(os.listdir(path))}

    def cleanup(self):
        self.observer.stop()
        super().cleanup()


def main() -> None:
    agent = FileSystemAssistantAgent()
    agent.run()


if __name__ == "__main__":
    main()
