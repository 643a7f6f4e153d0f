"""First NLUAgent (spaCy based). Kept for reference; not deployed."""
import json
import os

<<<<<<< HEAD
import spacy
=======
import spacy
from spacy.matcher import Matcher
>>>>>>> nlu-matcher

MODEL = os.environ.get("SPACY_MODEL", "en_core_web_sm")


class NLUAgentV1:
    def __init__(self):
        self.nlp = spacy.load(MODEL)

    def parse(self, text):
        doc = self.nlp(text)
        return json.dumps([(ent.text, ent.label_) for ent in doc.ents])
