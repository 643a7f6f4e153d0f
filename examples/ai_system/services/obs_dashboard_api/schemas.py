"""Response models of the dashboard API."""
from typing import Dict, List, Optional

from pydantic import BaseModel


class AgentStatus(BaseModel):
    name: str
    machine: str
    healthy: bool
    detail: Optional[str] = None


class Overview(BaseModel):
    agents: List[AgentStatus]
    metrics: Dict[str, float] = {}
