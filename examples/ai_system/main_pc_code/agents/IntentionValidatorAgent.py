"""IntentionValidatorAgent: checks parsed intents before they are executed."""
from typing import Dict, List, Optional

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
)

from common.zmq_agent import ZmqAgent
from main_pc_code.utils.nlp_utils import strip_punctuation

DANGEROUS = {"delete_all", "format_disk", "shutdown_all"}


class Intent(BaseModel):
    name: str
    confidence: float = Field(ge=0.0, le=1.0)
    slots: Dict[str, str] = {}
    requires_confirmation: bool = False


class ValidationResult(BaseModel):
    valid: bool
    reasons: List[str] = []
    intent: Optional[Intent] = None


class IntentionValidatorAgent(ZmqAgent):
    def __init__(self, port: int = 5701, health_port: int = 6701):
        super().__init__("IntentionValidatorAgent", port, health_port)
        self.min_confidence = float(self.config.get("min_confidence", 0.6))

    def validate(self, payload) -> ValidationResult:
        try:
            intent = Intent(**payload)
        except ValidationError as exc:
            return ValidationResult(valid=False, reasons=[str(exc)])
        reasons = []
        if intent.confidence < self.min_confidence:
            reasons.append("low confidence")
        if intent.name in DANGEROUS and not intent.requires_confirmation:
            reasons.append("dangerous intent needs confirmation")
        intent.slots = {k: strip_punctuation(v) for k, v in intent.slots.items()}
        return ValidationResult(valid=not reasons, reasons=reasons, intent=intent)

    def handle_request(self, request):
        result = self.validate(request.get("intent", {}))
        return {"status": "ok", "result": result.model_dump()}


def main() -> None:
    agent = IntentionValidatorAgent()
    agent.run()


if __name__ == "__main__":
    main()
