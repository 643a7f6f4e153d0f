"""VoiceProfilingAgent: speaker identification with per-user GMM voice profiles."""
import os
import pickle

import numpy as np
import soundfile as sf
from sklearn.mixture import GaussianMixture

from common.zmq_agent import ZmqAgent

PROFILE_DIR = os.environ.get("VOICE_PROFILE_DIR", "data/voice_profiles")


class VoiceProfilingAgent(ZmqAgent):
    def __init__(self, port: int = 5708, health_port: int = 6708):
        super().__init__("VoiceProfilingAgent", port, health_port)
        self.profiles = {}

    def features(self, path):
        import librosa

        samples, rate = sf.read(path, dtype="float32")
        mfcc = librosa.feature.mfcc(y=samples, sr=rate, n_mfcc=20)
        return mfcc.T

    def enroll(self, user, paths):
        feats = np.vstack([self.features(p) for p in paths])
        model = GaussianMixture(n_components=8, covariance_type="diag").fit(feats)
        self.profiles[user] = model
        os.makedirs(PROFILE_DIR, exist_ok=True)
        with open(os.path.join(PROFILE_DIR, f"{user}.pkl"), "wb") as fh:
            pickle.dump(model, fh)

    def identify(self, path):
        feats = self.features(path)
        scores = {user: model.score(feats) for user, model in self.profiles.items()}
        return max(scores, key=scores.get) if scores else None

    def handle_request(self, request):
        if request.get("action") == "enroll":
            self.enroll(request["user"], request["paths"])
            return {"status": "ok"}
        return {"status": "ok", "speaker": self.identify(request["path"])}


def main() -> None:
    agent = VoiceProfilingAgent()
    agent.run()


if __name__ == "__main__":
    main()
