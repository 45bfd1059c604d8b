"""Statistics of the perf gate: per-request latencies of base and branch, compared.

Samples come from alternating rounds (base, branch, branch, base, …), so the
machine's noise hits both targets alike. A branch is *slower* on an endpoint
when all of these hold:

- its p95 is more than `p95_regression` (a ratio, 0.2 = 20 %) above the base's,
  and at least `min_delta_ms` above it (sub-millisecond wobble is not a finding);
- a one-sided Mann–Whitney U test says its latencies are stochastically greater
  than the base's with p < `alpha` (`p_value`, over the requests);
- and so does a one-sided paired t-test over the round pairs, on the log ratio
  of the branch's to the base's round median (`p_rounds`). Requests of one round
  share that round's machine noise (another process hogging a core for a
  second), so they are not independent: the request-level test alone would call
  such a burst significant. The pair-level test measures how much the pairs
  disagree and asks whether the branch is slower by more than that.

The p-values are held to `alpha` with Holm's correction over the endpoints
compared (`regressions`): many endpoints must not mean many chances for noise.

Also reported: the ratios of p50, p95, p99 and throughput, and a bootstrap 95 %
confidence interval of the ratio of medians.
"""

from __future__ import annotations

import csv
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

OVERALL = "overall"
TARGETS = ("base", "branch")
BOOTSTRAP_ROUNDS = 1000
BOOTSTRAP_MAX = 4000  # samples per side used by the bootstrap
ROUND_MIN = 5  # successful requests a round needs for its median to count

_PLACEHOLDER = re.compile(r"^(\[[^\]]*\]|\{[^}]*\}|<[^>]*>)$")  # `[words]`, `{id}`, `<q>`
_ID_SEGMENT = re.compile(r"^(\d+|[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}|[0-9a-fA-F]{24,})$")


@dataclass
class Sample:
    target: str
    round: int
    endpoint: str  # "GET /api/tools?q="
    ms: float
    ok: bool
    error: str = ""


@dataclass
class Stats:
    count: int  # requests, failed ones included
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float
    mean: float

    @property
    def fail_ratio(self) -> float:
        return self.failures / self.count if self.count else 0.0


@dataclass
class Comparison:
    endpoint: str
    base: Stats
    branch: Stats
    ratio: dict[str, float | None]
    p_value: float | None  # Mann–Whitney U over the requests, one-sided "greater"
    p_rounds: float | None  # Welch's t over log medians of the rounds, one-sided
    ci_median_ratio: tuple[float, float] | None
    round_medians: dict[str, list[float]]
    pairs: int  # round pairs with enough requests on both sides
    first_error: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for t in TARGETS:
            data[t]["fail_ratio"] = round(getattr(self, t).fail_ratio, 6)
        data["ci_median_ratio"] = list(self.ci_median_ratio) if self.ci_median_ratio else None
        return data


def normalise_name(name: str) -> str:
    """Group request names the way Locust's `name=` would: query values and id-like path
    segments dropped (`/api/tools/17?q=saw` → `/api/tools/[id]?q=`). Names a
    locustfile already grouped (`/api/tools?q=[words]`) are left as they are."""
    path, _, query = name.partition("?")
    segs = ["[id]" if _ID_SEGMENT.match(s) else s for s in path.split("/")]
    out = "/".join(segs)
    if query or name.endswith("?"):
        parts = [part.partition("=") for part in query.split("&") if part]
        out += "?" + "&".join(f"{k}={v if _PLACEHOLDER.match(v) else ''}" for k, _, v in parts)
    return out


def read_samples(path: Path) -> list[Sample]:
    samples = []
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            samples.append(Sample(
                target=row["target"], round=int(row["round"]),
                endpoint=f"{row['method']} {normalise_name(row['name'])}",
                ms=float(row["response_time_ms"]), ok=row["ok"] == "1", error=row["error"],
            ))
    return samples


def percentile(values: np.ndarray, q: float) -> float:
    return float(np.percentile(values, q)) if values.size else math.nan


def summarise(latencies: np.ndarray, failures: int, seconds: float) -> Stats:
    """Latencies of the successful requests (ms); failures counted apart."""
    count = int(latencies.size) + failures
    return Stats(
        count=count, failures=failures, rps=count / seconds if seconds > 0 else 0.0,
        p50=percentile(latencies, 50), p95=percentile(latencies, 95),
        p99=percentile(latencies, 99),
        mean=float(latencies.mean()) if latencies.size else math.nan,
    )


def _ranks(x: np.ndarray) -> tuple[np.ndarray, float]:
    """Average ranks (1-based) and the tie term sum(t³ - t) over groups of ties."""
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
    counts = np.diff(np.r_[starts, xs.size])
    avg = starts + (counts + 1) / 2.0  # average 1-based rank of each group of equal values
    ranks = np.empty(x.size)
    ranks[order] = np.repeat(avg, counts)
    return ranks, float(np.sum(counts.astype(float) ** 3 - counts))


def mann_whitney_greater(branch: np.ndarray, base: np.ndarray) -> float | None:
    """p-value of "branch latencies are stochastically greater than base's": the
    one-sided Mann–Whitney U test, normal approximation with tie and continuity
    correction — what `scipy.stats.mannwhitneyu(..., alternative="greater",
    method="asymptotic")` computes (the tests check that), without the seconds
    scipy.stats takes to import."""
    n1, n2 = int(branch.size), int(base.size)
    if n1 < 2 or n2 < 2:
        return None
    ranks, ties = _ranks(np.concatenate([branch, base]).astype(float))
    n = n1 + n2
    u1 = float(ranks[:n1].sum()) - n1 * (n1 + 1) / 2
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))))
    if sigma == 0:
        return 1.0
    z = (u1 - n1 * n2 / 2 - 0.5) / sigma
    return 0.5 * math.erfc(z / math.sqrt(2))


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the regularized incomplete beta (modified Lentz)."""
    tiny, qab, qap, qam = 1e-300, a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        for num in (m * (b - m) * x / ((qam + m2) * (a + m2)),
                    -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1 + num * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    if x <= 0 or x >= 1:
        return 0.0 if x <= 0 else 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1 - front * _betacf(b, a, 1 - x) / b


def t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t with `df` degrees of freedom."""
    tail = 0.5 * _betainc(df / 2, 0.5, df / (df + t * t))
    return float(tail if t > 0 else 1 - tail)


def welch_greater(a: np.ndarray, b: np.ndarray) -> float:
    """One-sided Welch t-test "mean(a) > mean(b)" (as scipy.stats.ttest_ind with
    equal_var=False, alternative="greater")."""
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se2 = va + vb
    if se2 == 0:
        return 0.0 if a.mean() > b.mean() else 1.0
    t = float((a.mean() - b.mean()) / math.sqrt(se2))
    df = se2 ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1))
    return t_sf(t, df)


def bootstrap_ratio_ci(branch: np.ndarray, base: np.ndarray, q: float = 50,
                       rounds: int = BOOTSTRAP_ROUNDS, level: float = 0.95, seed: int = 0
                       ) -> tuple[float, float] | None:
    """Percentile-bootstrap CI of percentile_q(branch) / percentile_q(base)."""
    if branch.size < 2 or base.size < 2:
        return None
    rng = np.random.default_rng(seed)
    a = rng.choice(branch, BOOTSTRAP_MAX, replace=False) if branch.size > BOOTSTRAP_MAX else branch
    b = rng.choice(base, BOOTSTRAP_MAX, replace=False) if base.size > BOOTSTRAP_MAX else base
    qa = np.percentile(rng.choice(a, (rounds, a.size)), q, axis=1)
    qb = np.percentile(rng.choice(b, (rounds, b.size)), q, axis=1)
    ratios = qa / np.maximum(qb, 1e-9)
    lo, hi = np.percentile(ratios, [(1 - level) / 2 * 100, (1 + level) / 2 * 100])
    return round(float(lo), 4), round(float(hi), 4)


def rounds_test(pairs: Sequence[tuple[float, float]]) -> float | None:
    """p-value of "the branch is slower, round pair by round pair": a one-sided paired
    t-test on log(branch median / base median) of each (base round, branch round)
    pair. The two rounds of a pair are neighbours in time, so a machine that gets
    busier during the run slows both; what the test weighs is how much the pairs
    disagree among themselves."""
    if len(pairs) < 2:
        return None
    d = np.log(np.maximum([r for _, r in pairs], 1e-6)) - np.log(
        np.maximum([b for b, _ in pairs], 1e-6))
    sd = float(d.std(ddof=1))
    if sd == 0:  # every pair says the same: the sign decides
        return 0.0 if d.mean() > 0 else 1.0
    return t_sf(float(d.mean()) / (sd / math.sqrt(d.size)), d.size - 1)


def round_pairs(rounds: Sequence[dict[str, Any]]) -> list[tuple[int, int]]:
    """(base round, branch round) of each consecutive pair of measured rounds."""
    pairs = []
    for first, second in zip(rounds[::2], rounds[1::2], strict=False):
        by = {first["target"]: first["round"], second["target"]: second["round"]}
        if set(by) == set(TARGETS):
            pairs.append((by["base"], by["branch"]))
    return pairs


def _ratio(a: float, b: float) -> float | None:
    if math.isnan(a) or math.isnan(b) or b <= 0:
        return None
    return round(a / b, 4)


def compare(samples: Iterable[Sample], rounds: Sequence[dict[str, Any]]
            ) -> dict[str, Comparison]:
    """Per endpoint and OVERALL; `rounds` are the measured rounds (warm-up left out):
    dicts with round, target, seconds."""
    measured = {r["round"] for r in rounds}
    seconds = {t: sum(r["seconds"] for r in rounds if r["target"] == t) for t in TARGETS}
    pairs = round_pairs(rounds)
    # endpoint -> target -> round -> latencies of ok requests; and failures
    lat: dict[str, dict[str, dict[int, list[float]]]] = defaultdict(
        lambda: {t: defaultdict(list) for t in TARGETS})
    fails: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(TARGETS, 0))
    first_error: dict[str, dict[str, str]] = defaultdict(dict)
    for s in samples:
        if s.round not in measured or s.target not in TARGETS:
            continue
        for key in (s.endpoint, OVERALL):
            if s.ok:
                lat[key][s.target][s.round].append(s.ms)
            else:
                fails[key][s.target] += 1
                first_error[key].setdefault(s.target, s.error)
    out = {}
    for key in sorted(lat, key=lambda k: (k != OVERALL, k)):
        arrays = {t: np.array([x for r in lat[key][t].values() for x in r]) for t in TARGETS}
        stats = {t: summarise(arrays[t], fails[key][t], seconds[t]) for t in TARGETS}
        med = {t: {r: float(np.median(v)) for r, v in lat[key][t].items() if len(v) >= ROUND_MIN}
               for t in TARGETS}
        paired = [(med["base"][b], med["branch"][r]) for b, r in pairs
                  if b in med["base"] and r in med["branch"]]
        base, branch = stats["base"], stats["branch"]
        out[key] = Comparison(
            endpoint=key, base=base, branch=branch,
            ratio={"p50": _ratio(branch.p50, base.p50), "p95": _ratio(branch.p95, base.p95),
                   "p99": _ratio(branch.p99, base.p99), "rps": _ratio(branch.rps, base.rps)},
            p_value=mann_whitney_greater(arrays["branch"], arrays["base"]),
            p_rounds=rounds_test(paired),
            ci_median_ratio=bootstrap_ratio_ci(arrays["branch"], arrays["base"]),
            round_medians={t: [round(med[t][r], 3) for r in sorted(med[t])] for t in TARGETS},
            pairs=len(paired), first_error=dict(first_error[key]),
        )
    return out


def comparable(c: Comparison, min_samples: int) -> bool:
    ok_base, ok_branch = c.base.count - c.base.failures, c.branch.count - c.branch.failures
    return (min(ok_base, ok_branch) >= min_samples and c.ratio["p95"] is not None
            and c.p_value is not None and c.p_rounds is not None)


def is_regression(c: Comparison, *, p95_regression: float, alpha: float, min_delta_ms: float,
                  min_samples: int) -> bool:
    """One comparison on its own, at level `alpha`."""
    if not comparable(c, min_samples):
        return False
    assert c.ratio["p95"] is not None and c.p_value is not None and c.p_rounds is not None
    return bool(c.ratio["p95"] - 1 > p95_regression
                and c.branch.p95 - c.base.p95 >= min_delta_ms
                and max(c.p_value, c.p_rounds) < alpha)


def regressions(comps: dict[str, Comparison], *, p95_regression: float, alpha: float,
                min_delta_ms: float, min_samples: int) -> dict[str, bool]:
    """Every endpoint (and OVERALL) judged with Holm's correction over the m comparisons
    that have enough requests: with ten endpoints, noise alone would otherwise find a
    "significant" one in one run out of ten."""
    tested = sorted((k for k, c in comps.items() if comparable(c, min_samples)),
                    key=lambda k: max(comps[k].p_value or 1.0, comps[k].p_rounds or 1.0))
    flags = dict.fromkeys(comps, False)
    for i, k in enumerate(tested):
        level = alpha / (len(tested) - i)
        c = comps[k]
        if max(c.p_value or 1.0, c.p_rounds or 1.0) >= level:
            break  # Holm: stop at the first hypothesis that is not rejected
        flags[k] = is_regression(c, p95_regression=p95_regression, alpha=level,
                                 min_delta_ms=min_delta_ms, min_samples=min_samples)
    return flags


def ecdf(values: np.ndarray, points: int = 200) -> list[tuple[float, float]]:
    """(latency, fraction ≤ it) at up to `points` quantiles: a chart's line."""
    if not values.size:
        return []
    qs = np.linspace(0, 100, min(points, max(values.size, 2)))
    return [(float(x), float(q) / 100) for x, q in zip(np.percentile(values, qs), qs,
                                                       strict=True)]
