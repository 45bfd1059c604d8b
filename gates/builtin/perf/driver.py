"""The Locust driver of the perf gate, run as a subprocess: `python -m gates.builtin.perf.driver`.

Loading a repo's locustfile runs code of the branch, and importing Locust
monkey-patches the interpreter (gevent), so neither happens in the gates
process. This module uses Locust as a library:

    python -m gates.builtin.perf.driver run SPEC.json
        load the locustfile; when the spec names a "go" file, wait for it (the gate
        starts this driver first and writes the targets there once its apps are
        up, so that importing Locust overlaps starting them). Then one
        `locust.env.Environment` with, for each of the locustfile's User classes,
        one copy per target (`Member__base`, `Member__branch`, host set to that
        target). All users start once — `on_start` (a login) runs once per user —
        and the schedule of rounds decides which target's users may run: the
        others hold between two tasks. Switching rounds is instant; nobody logs in
        again. Every request's response time, name and outcome is recorded from
        `env.events.request` into OUT/samples.csv, a summary of the rounds into
        OUT/run.json. After the schedule, the spec's "extend" adds pairs of rounds
        while an endpoint lacks the requests its p95 verdict needs but would get them
        within the time budget (`_more`). With `workers` > 0, Locust's own master/worker mode on
        loopback: this process is the master (`create_master_runner`), the
        workers are subprocesses (below), told each round by a custom message;
        they send their samples with their stats reports (`report_to_master`).

    python -m gates.builtin.perf.driver worker LOCUSTFILE MASTER_PORT TARGETS_JSON
        one Locust worker (`create_worker_runner`) on 127.0.0.1.

Anything that goes wrong is one line in run.json's "error" and exit code 3.
"""

from __future__ import annotations

# Locust needs gevent's patches before anything imports ssl, socket, threading
from gevent import monkey

monkey.patch_all()

import bisect  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402
from gevent.event import Event  # noqa: E402

HOST = "127.0.0.1"
SAMPLE_FIELDS = ("target", "round", "t", "method", "name", "response_time_ms", "ok", "length",
                 "error")
WORKER_CONNECT_TIMEOUT = 30.0
GO_TIMEOUT = 600.0
ROUND_MESSAGE = "gates_round"
EXIT_ERROR = 3
NOTHING_AFTER = 4  # rounds without a single request: the run is hopeless
READY_TIMEOUT = 60.0  # for every user's on_start, before the first round
REACH_SLACK = 0.8  # an endpoint projected to reach 80 % of its p95 requests is waited for


class DriverError(Exception):
    """One line for the gate: the locustfile cannot be loaded, no user classes, …"""


def load_user_classes(locustfile: Path) -> list[type]:
    import logging

    from locust.util.load_locustfile import load_locustfile

    logging.getLogger("locust").setLevel(logging.WARNING)
    if not locustfile.is_file():
        raise DriverError(f"no locustfile at {locustfile.name}")
    os.chdir(locustfile.parent)
    try:
        users, _shapes = load_locustfile(str(locustfile))
    except SyntaxError as e:
        raise DriverError(f"{locustfile.name} has a syntax error at line {e.lineno}: "
                          f"{e.msg}") from None
    except BaseException as e:  # SystemExit too: a locustfile may call sys.exit
        raise DriverError(f"{locustfile.name} could not be imported: "
                          f"{type(e).__name__}: {e}") from None
    if not users:
        raise DriverError(f"{locustfile.name} defines no Locust User class")
    return list(users.values())


class Floor:
    """Which target's users may run; when each target had the floor, in which round;
    and how many users are through their on_start."""

    def __init__(self, labels: list[str]) -> None:
        self.events = {label: Event() for label in labels}
        self.grants: dict[str, list[tuple[float, int]]] = {label: [] for label in labels}
        self.ready = 0

    def give(self, label: str, round_no: int) -> None:
        for other, event in self.events.items():
            if other != label:
                event.clear()
        self.grants[label].append((time.time(), round_no))
        self.events[label].set()

    def close(self) -> None:
        for event in self.events.values():
            event.clear()

    def round_at(self, label: str, started: float | None) -> int:
        """The round of `label` in which a request that started at `started` (epoch
        seconds, Locust's start_time) started: a slow request that ends in a later
        round still counts for its own. -1: before the target's first round."""
        grants = self.grants[label]
        if started is None:
            return grants[-1][1] if grants else -1
        i = bisect.bisect_right([t for t, _ in grants], started)
        return grants[i - 1][1] if i else -1


def gated(cls: type, label: str, host: str, floor: Floor) -> type:
    """A copy of a User class aimed at one target, whose users hold between tasks
    (and after on_start) while another target has the floor."""
    event = floor.events[label]
    think = cls.wait_time  # type: ignore[attr-defined]
    on_start = cls.on_start  # type: ignore[attr-defined]
    context = cls.context  # type: ignore[attr-defined]

    def wait_time(self: Any) -> float:
        gevent.sleep(think(self))  # the locustfile's think time, then our turn
        event.wait()
        return 0

    def start(self: Any) -> None:
        try:
            on_start(self)
        finally:
            floor.ready += 1
        event.wait()

    def tagged(self: Any) -> dict[str, Any]:
        return {**context(self), "gates_target": label}

    return type(f"{cls.__name__}__{label}", (cls,), {
        "host": host, "wait_time": wait_time, "on_start": start, "context": tagged,
        "__module__": cls.__module__,
    })


def _recorder(samples: list[dict[str, Any]], floor: Floor, hosts: dict[str, str]
              ) -> Callable[..., None]:
    t0 = time.monotonic()

    def on_request(request_type: str, name: str, response_time: float | None,
                   response_length: int | None, exception: BaseException | None = None,
                   context: dict[str, Any] | None = None, url: str | None = None,
                   start_time: float | None = None, **_: Any) -> None:
        target = (context or {}).get("gates_target") or next(
            (label for label, host in hosts.items() if url and url.startswith(host)), None)
        if target is None:
            return  # a request to somewhere else: not ours to measure
        samples.append({
            "target": target, "round": floor.round_at(target, start_time),
            "t": round(time.monotonic() - t0, 4),
            "method": request_type, "name": name,
            "response_time_ms": round(float(response_time or 0.0), 3),
            "ok": 0 if exception else 1, "length": int(response_length or 0),
            "error": "" if exception is None else f"{type(exception).__name__}: {exception}"[:300],
        })

    return on_request


def _environment(user_classes: list[type], hosts: dict[str, str], floor: Floor) -> Any:
    from locust.env import Environment

    classes = [gated(cls, label, host, floor) for label, host in hosts.items()
               for cls in user_classes]
    return Environment(user_classes=classes, host=None, stop_timeout=0.0)


def run(spec: dict[str, Any]) -> dict[str, Any]:
    from locust import __version__ as locust_version

    out = Path(spec["out"])
    user_classes = load_user_classes(Path(spec["locustfile"]))
    if spec.get("go"):  # started early: Locust imported while the apps start
        spec = {**spec, **_wait_for_go(Path(spec["go"]))}
    if spec.get("cpus") and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, spec["cpus"])  # before any worker starts: they inherit it
    hosts = {t["label"]: t["host"] for t in spec["targets"]}
    floor = Floor(list(hosts))
    env = _environment(user_classes, hosts, floor)
    samples: list[dict[str, Any]] = []
    workers: list[subprocess.Popen[bytes]] = []
    if spec["workers"] > 0:
        runner: Any = env.create_master_runner(HOST, int(spec["master_port"]))
        env.events.worker_report.add_listener(
            lambda client_id, data: samples.extend(data.get("gates_samples", [])))
        workers = _start_workers(spec, out)
        _wait_for_workers(runner, spec["workers"], workers, out)
    else:
        runner = env.create_local_runner()
        env.events.request.add_listener(_recorder(samples, floor, hosts))

    cap = int(spec.get("max_requests_per_round") or 0)
    rounds: list[dict[str, Any]] = []
    stopped_early = None
    total = int(spec["users"]) * len(hosts)
    runner.start(total, float(spec["spawn_rate"]))
    try:
        if not workers:  # logins and other on_start work are done before any round
            _wait_ready(floor, total, float(spec.get("ready_timeout", READY_TIMEOUT)))
        schedule = [(str(label), float(seconds)) for label, seconds in spec["schedule"]]
        extend = spec.get("extend") or {}
        i = 0
        while i < len(schedule):
            label, seconds = schedule[i]
            floor.give(label, i)
            if workers:
                runner.send_message(ROUND_MESSAGE, {"label": label, "round": i})
            t0 = time.monotonic()
            before = _count(runner)
            while time.monotonic() - t0 < seconds:
                gevent.sleep(0.01)
                if cap and _count(runner) - before >= cap:
                    break
            rounds.append({"round": i, "target": label, "seconds": time.monotonic() - t0})
            why = None if workers else _hopeless(samples, i, label)
            if why:  # the verdict is `error` anyway: say so now, not after the whole run
                stopped_early = why
                break
            i += 1
            if i == len(schedule) and extend and _more(samples, rounds, extend, _count(runner)):
                k = (len(schedule) - int(extend.get("measured_from", 0))) // 2  # ABBA on
                pair = ("base", "branch") if k % 2 == 0 else ("branch", "base")
                schedule += [(t, float(extend["round_seconds"])) for t in pair]
        floor.close()
        if workers:
            runner.send_message(ROUND_MESSAGE, {"label": "", "round": -1})
        failures = {f"{e['method']} {e['name']}": e["occurrences"]
                    for e in (x.to_dict() for x in runner.stats.errors.values())}
        exceptions = [{"count": x["count"], "msg": str(x["msg"])[:300],
                       "traceback": str(x["traceback"])[-1500:]}
                      for x in runner.exceptions.values()]
    finally:
        runner.quit()  # a master collects its workers' last reports here
        for w in workers:
            try:
                w.wait(10)
            except subprocess.TimeoutExpired:
                w.kill()
    _write_samples(out / "samples.csv", samples)
    return {"error": None, "locust": locust_version, "rounds": rounds,
            "user_classes": [c.__name__ for c in user_classes], "workers": len(workers),
            "requests": len(samples), "failures_by_locust": failures, "exceptions": exceptions,
            "stopped_early": stopped_early}


def _more(samples: list[dict[str, Any]], rounds: list[dict[str, Any]],
          extend: dict[str, Any], requests: int) -> bool:
    """Another pair of rounds? Yes while all requests together have fewer than `tail`
    successful ones on a side (without them the run cannot judge any tail: spend the
    budget), or some endpoint has fewer but would reach `tail` within the time
    `budget` (measured seconds of load) at the rate so far, give or take
    `REACH_SLACK`; no once the budget or `max_requests` is spent. An endpoint too
    rare to reach it in the budget is not waited for: its p95 is reported
    inconclusive."""
    from gates.builtin.perf.stats import OVERALL, normalise_name

    first = int(extend.get("measured_from", 0))
    elapsed = sum(r["seconds"] for r in rounds[first:])
    budget, tail = float(extend["budget"]), int(extend["tail"])
    if elapsed + 2 * float(extend["round_seconds"]) > budget + 1e-6 or elapsed <= 0:
        return False
    if extend.get("max_requests") and requests >= int(extend["max_requests"]):
        return False
    counts: dict[str, dict[str, int]] = {}
    for s in samples:
        if s["ok"] and s["round"] >= first:
            for key in (f"{s['method']} {normalise_name(s['name'])}", OVERALL):
                side = counts.setdefault(key, {})
                side[s["target"]] = side.get(s["target"], 0) + 1
    for key, side in counts.items():
        n = min(side.get("base", 0), side.get("branch", 0))
        if n < tail and (key == OVERALL or n * budget / elapsed >= REACH_SLACK * tail):
            return True
    return not counts  # nothing measured yet: the hopeless-round check decides


def _wait_for_go(path: Path, timeout: float = GO_TIMEOUT) -> dict[str, Any]:
    """The targets, once the gate has started the apps (it writes the file atomically)."""
    t0 = time.monotonic()
    while not path.is_file():
        if time.monotonic() - t0 > timeout:
            raise DriverError(f"no targets after {timeout:.0f}s")
        time.sleep(0.02)
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _wait_ready(floor: Floor, total: int, timeout: float) -> None:
    t0 = time.monotonic()
    while floor.ready < total and time.monotonic() - t0 < timeout:
        gevent.sleep(0.02)


def _hopeless(samples: list[dict[str, Any]], round_no: int, label: str) -> str | None:
    """Every request of a round failed (an app that died, tasks that all fail), or no
    request at all in the first rounds: more rounds would not change the verdict."""
    mine = [s for s in samples if s["round"] == round_no and s["target"] == label]
    if mine and not any(s["ok"] for s in mine):
        return f"every request of round {round_no} ({label}) failed"
    if not samples and round_no + 1 >= NOTHING_AFTER:
        return f"no request at all in the first {round_no + 1} rounds"
    return None


def _count(runner: Any) -> int:
    return int(runner.stats.total.num_requests + runner.stats.total.num_failures)


def _start_workers(spec: dict[str, Any], out: Path) -> list[subprocess.Popen[bytes]]:
    procs = []
    targets = json.dumps(spec["targets"])
    for i in range(int(spec["workers"])):
        log = (out / f"worker-{i + 1}.log").open("wb")
        procs.append(subprocess.Popen(  # same process group: killed with the driver
            [sys.executable, "-m", "gates.builtin.perf.driver", "worker", spec["locustfile"],
             str(spec["master_port"]), targets],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        ))
    return procs


def _wait_for_workers(runner: Any, n: int, procs: list[subprocess.Popen[bytes]],
                      out: Path) -> None:
    t0 = time.monotonic()
    while len(runner.clients.ready) < n:
        dead = [i for i, p in enumerate(procs) if p.poll() is not None]
        if dead:
            log = (out / f"worker-{dead[0] + 1}.log").read_text(errors="replace")
            last = log.strip().splitlines()[-1:] or ["(no output)"]
            raise DriverError(f"Locust worker {dead[0] + 1} exited: {last[0]}")
        if time.monotonic() - t0 > WORKER_CONNECT_TIMEOUT:
            raise DriverError(f"only {len(runner.clients.ready)} of {n} Locust workers ready "
                              f"within {WORKER_CONNECT_TIMEOUT:.0f}s")
        gevent.sleep(0.05)


def worker(locustfile: Path, master_port: int, targets: list[dict[str, str]]) -> None:
    hosts = {t["label"]: t["host"] for t in targets}
    floor = Floor(list(hosts))
    env = _environment(load_user_classes(locustfile), hosts, floor)
    runner = env.create_worker_runner(HOST, master_port)
    buffer: list[dict[str, Any]] = []
    env.events.request.add_listener(_recorder(buffer, floor, hosts))

    def on_round(environment: Any, msg: Any, **_: Any) -> None:
        if msg.data["label"]:
            floor.give(msg.data["label"], int(msg.data["round"]))
        else:
            floor.close()

    def on_report(client_id: str, data: dict[str, Any]) -> None:
        batch = buffer[:]
        del buffer[: len(batch)]
        data["gates_samples"] = batch

    runner.register_message(ROUND_MESSAGE, on_round)
    env.events.report_to_master.add_listener(on_report)
    runner.greenlet.join()


def _write_samples(path: Path, samples: list[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=SAMPLE_FIELDS, extrasaction="ignore")
        w.writeheader()
        w.writerows(samples)


def main(argv: list[str]) -> int:
    if argv[:1] == ["worker"] and len(argv) == 4:
        try:
            worker(Path(argv[1]), int(argv[2]), json.loads(argv[3]))
        except DriverError as e:
            print(f"gates.builtin.perf.driver worker: {e}", flush=True)
            return EXIT_ERROR
        return 0
    if argv[:1] != ["run"] or len(argv) != 2:
        print("usage: python -m gates.builtin.perf.driver run SPEC.json | worker LOCUSTFILE PORT TARGETS",
              file=sys.stderr)
        return 2
    spec = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    out = Path(spec["out"])
    out.mkdir(parents=True, exist_ok=True)
    try:
        result = run(spec)
        code = 0
    except DriverError as e:
        result, code = {"error": str(e)}, EXIT_ERROR
    except Exception as e:
        result = {"error": f"the Locust driver crashed: {type(e).__name__}: {e}",
                  "traceback": traceback.format_exc(limit=10)}
        code = EXIT_ERROR
    (out / "run.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
