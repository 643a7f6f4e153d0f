"""ProactiveAgent: reminders and suggestions pushed without being asked."""
import datetime

import schedule
import yaml

from common.zmq_agent import ZmqAgent
from common.zmq_helpers import request

RESPONDER_PORT = 5637


class ProactiveAgent(ZmqAgent):
    loop_interval = 0.0

    def __init__(self, port: int = 5624, health_port: int = 6624):
        super().__init__("ProactiveAgent", port, health_port)
        self.reminders = []
        schedule.every().day.at("08:00").do(self.morning_briefing)
        schedule.every(30).minutes.do(self.check_reminders)

    def morning_briefing(self):
        today = datetime.date.today().strftime("%A %d %B")
        request("Responder", RESPONDER_PORT, {"text": f"Good morning! Today is {today}."})

    def check_reminders(self):
        now = datetime.datetime.now()
        due = [r for r in self.reminders if r["at"] <= now]
        for reminder in due:
            request("Responder", RESPONDER_PORT, {"text": reminder["text"]})
            self.reminders.remove(reminder)

    def tick(self):
        schedule.run_pending()
        super().tick()

    def handle_request(self, req):
        if req.get("action") == "remind":
            at = datetime.datetime.fromisoformat(req["at"])
            self.reminders.append({"at": at, "text": req["text"]})
            return {"status": "ok", "pending": len(self.reminders)}
        return {"status": "ok", "config": yaml.safe_dump(self.config)}


def main() -> None:
    agent = ProactiveAgent()
    agent.run()


if __name__ == "__main__":
    main()
