"""The load the perf gate's tests put on tests/apps/perf_app.py."""

import random

from locust import HttpUser, between, task

WORDS = ["tool", "1", "2", "saw", "drill"]


class Visitor(HttpUser):
    wait_time = between(0.01, 0.03)

    @task(3)
    def fast(self):
        self.client.get("/api/fast")

    @task(2)
    def item(self):
        self.client.get(f"/api/items/{random.randint(1, 100)}", name="/api/items/[id]")

    @task(2)
    def search(self):
        self.client.get(f"/api/search?q={random.choice(WORDS)}", name="/api/search?q=")

    @task(1)
    def boom(self):
        self.client.get("/api/boom")
