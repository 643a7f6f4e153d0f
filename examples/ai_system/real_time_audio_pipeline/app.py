"""RealTimeAudioPipeline entry point (MainPC and PC2 run the same file).

MainPC uses the 4090; PC2 sets RTAP_DEVICE=cpu when the 3060 is busy.
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from common.base_agent import BaseAgent  # noqa: E402
from real_time_audio_pipeline.config import load_pipeline_config  # noqa: E402
from real_time_audio_pipeline.core.pipeline import AudioPipeline  # noqa: E402
from real_time_audio_pipeline.transport import ZmqTransport  # noqa: E402


class RealTimeAudioPipeline(BaseAgent):
    loop_interval = 0.0

    def __init__(self, port: int = 5557, health_port: int = 6557):
        super().__init__("RealTimeAudioPipeline", port, health_port)
        self.pipeline_config = load_pipeline_config()
        self.transport = None
        self.pipeline = None

    def setup(self):
        self.transport = ZmqTransport(self.port, self.port + 1)
        self.pipeline = AudioPipeline(self.pipeline_config, self.transport.publish)
        self.pipeline.start()

    def tick(self):
        try:
            self.pipeline.step()
        except Exception:  # queue.Empty on silence
            pass
        self.transport.poll_control(lambda req: {"status": "ok"})

    def health_status(self):
        return f"OK device={self.pipeline_config.device}"

    def cleanup(self):
        if self.pipeline is not None:
            self.pipeline.stop()
        if self.transport is not None:
            self.transport.close()


def main() -> None:
    agent = RealTimeAudioPipeline()
    agent.run()


if __name__ == "__main__":
    main()
