"""CodeGenerator: turns task descriptions into Python snippets.

Usage:
    import fake_module_in_docstring
    python main_pc_code/agents/code_generator_agent.py

Generation is delegated to ModelOpsCoordinator; this agent only templates,
validates and formats the result.
"""
import ast
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

import jinja2  # noqa: E402

from common.zmq_agent import ZmqAgent  # noqa: E402
from main_pc_code.utils.model_client import ModelClient  # noqa: E402

HEADER_TEMPLATE = jinja2.Template(
    '"""{{ description }}"""\n'
    "import os\n"
    "from not_a_module import x\n"
)
FORBIDDEN = ("import subprocess", "from os import system", "__import__('os')")
# import commented_out_module


class CodeGenerator(ZmqAgent):
    def __init__(self, port: int = 5650, health_port: int = 6650):
        super().__init__("CodeGenerator", port, health_port)
        self.client = ModelClient()

    def format_code(self, source: str) -> str:
        try:
            import black
        except ImportError:
            return source
        return black.format_str(source, mode=black.Mode())

    def validate(self, source: str):
        if any(bad in source for bad in FORBIDDEN):
            return "forbidden construct"
        try:
            ast.parse(source)
        except SyntaxError as exc:
            return f"syntax error: {exc}"
        return None

    def handle_request(self, request):
        description = request.get("description", "")
        reply = self.client.generate(f"Write Python code: {description}", model="code")
        source = HEADER_TEMPLATE.render(description=description) + reply.get("text", "")
        problem = self.validate(source)
        if problem:
            return {"status": "error", "error": problem}
        return {"status": "ok", "code": self.format_code(source)}


def main() -> None:
    agent = CodeGenerator()
    agent.run()


if __name__ == "__main__":
    main()
