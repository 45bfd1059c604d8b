"""Load: members browsing, searching and reserving.

    locust -f locustfile.py --headless -u 10 -r 5 -t 20s --host http://127.0.0.1:8123

Requests are named by route (`/api/tools/[id]`, `/api/tools?q=[words]`) so the
statistics group them per endpoint.
"""

from __future__ import annotations

import random

from locust import HttpUser, between, task

SEARCHES = ("drill", "cordless drill", "saw", "ladder", "mower", "sander", "pressure washer",
            "level", "clamps", "hedge trimmer", "drain", "masonry", "battery", "timber")
CATEGORIES = ("Power tools", "Hand tools", "Garden", "Ladders & access", "Measuring",
              "Plumbing", "Woodworking", "Cleaning")
# the seeded demo members (see toollib/db.py)
MEMBERS = (("alice@toollib.test", "alice-pass-123"), ("bob@toollib.test", "bob-pass-123"))
TOOLS = 300


class Member(HttpUser):
    wait_time = between(0.1, 0.5)

    def on_start(self) -> None:
        email, password = random.choice(MEMBERS)
        resp = self.client.post("/api/auth/login", json={"email": email, "password": password})
        self.headers = {"Authorization": f"Bearer {resp.json()['access_token']}"}

    @task(3)
    def browse(self) -> None:
        self.client.get("/api/tools", params={"limit": 20, "offset": random.randrange(0, 280)},
                        name="/api/tools")

    @task(4)
    def search(self) -> None:
        self.client.get("/api/tools", params={"q": random.choice(SEARCHES), "limit": 20},
                        name="/api/tools?q=[words]")

    @task(1)
    def category(self) -> None:
        self.client.get("/api/tools", params={"category": random.choice(CATEGORIES)},
                        name="/api/tools?category=[name]")

    @task(2)
    def view_tool(self) -> None:
        self.client.get(f"/api/tools/{random.randint(1, TOOLS)}", name="/api/tools/[id]")

    @task(1)
    def reserve(self) -> None:
        """Reserve a tool and give it back; a tool someone else holds is no error."""
        tool_id = random.randint(1, TOOLS)
        with self.client.post("/api/reservations", json={"tool_id": tool_id, "days": 2},
                              headers=self.headers, name="/api/reservations",
                              catch_response=True) as resp:
            if resp.status_code == 409:
                resp.success()
                return
            if resp.status_code != 201:
                resp.failure(f"reserve: {resp.status_code}")
                return
        self.client.delete(f"/api/reservations/{resp.json()['id']}", headers=self.headers,
                           name="/api/reservations/[id]")
