"""Statistics of the perf gate: per-request latencies of base and branch, compared.

Samples come from alternating rounds (base, branch, branch, base, …), so the
machine's noise hits both targets alike. Two statistics of every endpoint are
judged, each on its own (`judge`): the median (what most users wait) and p95
(the tail). The branch is *slower* at a statistic when all of these hold:

- the shift is practically relevant and real, by one of two rules (`rule`), on a
  bootstrap 95 % confidence interval of the ratio branch / base (`shift_ci`: round
  pairs resampled, then the requests within each round, so a noisy round weighs
  as much as it should) and the bar 1 + `median_regression` (median) or
  1 + `p95_regression` (p95):
  "strict": the interval's lower end is above the bar (confident that the shift
  is at least the threshold: a true shift of exactly the threshold is caught
  about half the time);
  "practical": the ratio itself is at least the bar and the interval's lower end
  is above ×1 (the shift is real and its best estimate is practically relevant);
  and the statistic is at least `min_delta_ms` slower (0.5 ms by default: on an
  endpoint answering in a fraction of a millisecond, 20 % is below what a load
  generator's clock and the event loop resolve, and no user waits for it; 20 % of
  a 4 ms endpoint, 0.8 ms, is a finding);
- the paired rounds agree: a one-sided paired t-test over the round pairs, on the
  log ratio of the branch's to the base's round median (round p95 for the
  tail), says the branch is slower with p < `alpha`. Requests of one round share
  that round's machine noise (another process hogging a core for a second), so
  they are not independent: only this test knows how much the pairs disagree.
  The p-values are held to `alpha` with Holm's correction over every
  (endpoint, statistic) judged: many endpoints must not mean many chances for noise.

A statistic needs enough requests to be judged at all: `min_samples` per side for
the median, `p95_min_samples` for p95 (300 by default: 15 requests above the p95
on each side, where a distribution-free 95 % interval of the p95 spans about
p92–p97; with 110 requests it spans p91–p99 and rests on five or six requests).
Fewer is `inconclusive`, never a silent pass: the gate reports it and says how
much longer a run would make it conclusive.

Also reported: the ratios of p50, p95, p99 and throughput, and a one-sided
Mann–Whitney U p-value over the requests (for reference: it calls a single noisy
round significant, so it decides nothing).
"""

from __future__ import annotations

import csv
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

OVERALL = "overall"
TARGETS = ("base", "branch")
BOOTSTRAP_ROUNDS = 1000
BOOTSTRAP_MAX = 4000  # samples per side used by the bootstrap
ROUND_MIN = 5  # successful requests a round needs for its median to count
ROUND_MIN_TAIL = 10  # … for its p95 to count
STATS = {"p50": 50.0, "p95": 95.0}  # the statistics judged, and their percentiles
SLOWER, NOT_SLOWER, INCONCLUSIVE = "slower", "not slower", "inconclusive"
RULES = ("strict", "practical")  # how big a real shift must be: see the module's docstring

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
class Shift:
    """One statistic (p50 or p95) of one endpoint, base against branch."""

    stat: str
    ratio: float | None  # branch / base
    ci: tuple[float, float] | None  # bootstrap 95 % interval of the ratio
    p_rounds: float | None  # paired t over the round pairs' log ratios, one-sided
    pairs: int  # round pairs with enough requests on both sides for this statistic
    verdict: str = INCONCLUSIVE  # SLOWER, NOT_SLOWER or INCONCLUSIVE, set by `judge`
    why: str = ""  # one line: what decided

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ci"] = list(self.ci) if self.ci else None
        return data


@dataclass
class Comparison:
    endpoint: str
    base: Stats
    branch: Stats
    ratio: dict[str, float | None]
    p_value: float | None  # Mann–Whitney U over the requests, one-sided "greater"
    shifts: dict[str, Shift]  # "p50", "p95"
    round_medians: dict[str, list[float]]
    first_error: dict[str, str] = field(default_factory=dict)

    @property
    def ok_counts(self) -> int:
        """Successful requests of the side that has fewer."""
        return min(self.base.count - self.base.failures, self.branch.count - self.branch.failures)

    @property
    def decided_by(self) -> list[str]:
        return [k for k, sh in self.shifts.items() if sh.verdict == SLOWER]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for t in TARGETS:
            data[t]["fail_ratio"] = round(getattr(self, t).fail_ratio, 6)
        data["shifts"] = {k: sh.to_json() for k, sh in self.shifts.items()}
        data["decided_by"] = self.decided_by
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Comparison:
        """The comparison back from `to_json` (perf.json): to judge it again."""
        def side(d: dict[str, Any]) -> Stats:
            def num(k: str) -> float:
                return math.nan if d[k] is None else float(d[k])
            return Stats(count=int(d["count"]), failures=int(d["failures"]), rps=num("rps"),
                         p50=num("p50"), p95=num("p95"), p99=num("p99"), mean=num("mean"))

        shifts = {k: Shift(**{**v, "ci": tuple(v["ci"]) if v["ci"] else None})
                  for k, v in data["shifts"].items()}
        return cls(endpoint=data["endpoint"], base=side(data["base"]),
                   branch=side(data["branch"]), ratio=data["ratio"], p_value=data["p_value"],
                   shifts=shifts, round_medians=data["round_medians"],
                   first_error=data.get("first_error", {}))


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


def _weighted_percentile(sorted_values: np.ndarray, weights: np.ndarray, q: float
                         ) -> np.ndarray:
    """Row by row: the q-th percentile of `sorted_values` weighted by a row of `weights`."""
    cum = np.cumsum(weights, axis=1, dtype=np.float64)
    total = cum[:, -1]
    idx = (cum < (q / 100.0 * total)[:, None]).sum(axis=1)
    out = sorted_values[np.minimum(idx, sorted_values.size - 1)]
    return np.where(total > 0, out, np.nan)


def shift_ci(branch: np.ndarray, branch_rounds: np.ndarray, base: np.ndarray,
             base_rounds: np.ndarray, pairs: Sequence[tuple[int, int]], q: float,
             rounds: int = BOOTSTRAP_ROUNDS, level: float = 0.95, seed: int = 0
             ) -> tuple[float, float] | None:
    """Bootstrap interval of percentile_q(branch) / percentile_q(base), two-stage: the
    round pairs are resampled (a pair's two rounds together: they share the machine's
    noise of that moment), then the requests within each round (Poisson weights).
    A round in no pair counts once. `*_rounds` give each latency's round."""
    if branch.size < 2 or base.size < 2:
        return None
    rng = np.random.default_rng(seed)
    pair_of = {}
    for i, (b, r) in enumerate(pairs):
        pair_of[("base", b)] = i
        pair_of[("branch", r)] = i
    k = max(len(pairs), 1)
    drawn = (rng.multinomial(k, [1.0 / k] * k, size=rounds) if pairs
             else np.ones((rounds, 1), dtype=np.int64))
    picks = np.hstack([drawn, np.ones((rounds, 1), dtype=np.int64)])  # k: rounds in no pair
    qs = []
    for target, values, labels in (("branch", branch, branch_rounds), ("base", base, base_rounds)):
        if values.size > BOOTSTRAP_MAX:
            keep = rng.choice(values.size, BOOTSTRAP_MAX, replace=False)
            values, labels = values[keep], labels[keep]
        order = np.argsort(values, kind="mergesort")
        values, labels = values[order], labels[order]
        column = np.array([pair_of.get((target, int(r)), k) for r in labels])
        weights = picks[:, column] * rng.poisson(1.0, (rounds, values.size))
        qs.append(_weighted_percentile(values, weights, q))
    ratios = qs[0] / np.maximum(qs[1], 1e-9)
    ratios = ratios[np.isfinite(ratios)]
    if not ratios.size:
        return None
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
    dicts with round, target, seconds. The verdicts are `judge`'s."""
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
        by_round = lat[key]
        arrays = {t: np.array([x for r in by_round[t].values() for x in r]) for t in TARGETS}
        labels = {t: np.array([r for r, v in by_round[t].items() for _ in v], dtype=int)
                  for t in TARGETS}
        stats = {t: summarise(arrays[t], fails[key][t], seconds[t]) for t in TARGETS}
        base, branch = stats["base"], stats["branch"]
        shifts = {}
        for name, q in STATS.items():
            least = ROUND_MIN if q == 50 else ROUND_MIN_TAIL
            per = {t: {r: percentile(np.array(v), q) for r, v in by_round[t].items()
                       if len(v) >= least} for t in TARGETS}
            paired = [(per["base"][b], per["branch"][r]) for b, r in pairs
                      if b in per["base"] and r in per["branch"]]
            shifts[name] = Shift(
                stat=name, ratio=_ratio(getattr(branch, name), getattr(base, name)),
                ci=shift_ci(arrays["branch"], labels["branch"], arrays["base"], labels["base"],
                            pairs, q),
                p_rounds=rounds_test(paired), pairs=len(paired))
        med = {t: {r: float(np.median(v)) for r, v in by_round[t].items() if len(v) >= ROUND_MIN}
               for t in TARGETS}
        out[key] = Comparison(
            endpoint=key, base=base, branch=branch,
            ratio={"p50": _ratio(branch.p50, base.p50), "p95": _ratio(branch.p95, base.p95),
                   "p99": _ratio(branch.p99, base.p99), "rps": _ratio(branch.rps, base.rps)},
            p_value=mann_whitney_greater(arrays["branch"], arrays["base"]),
            shifts=shifts,
            round_medians={t: [round(med[t][r], 3) for r in sorted(med[t])] for t in TARGETS},
            first_error=dict(first_error[key]),
        )
    return out


@dataclass(frozen=True)
class Rule:
    """What counts as slower (the [gates.perf] keys of the same names)."""

    median_regression: float = 0.2
    p95_regression: float = 0.2
    alpha: float = 0.01
    min_delta_ms: float = 0.5  # the gate's default (gates.builtin.perf.gate)
    min_samples: int = 30
    p95_min_samples: int = 300  # the gate's default (gates.builtin.perf.gate)
    rule: str = "practical"  # one of RULES; the gate's default (see bench/perf_power.py)

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> Rule:
        """The rule a [gates.perf] section (or perf.json's `config`) sets."""
        return cls(**{f.name: cfg[f.name] for f in fields(cls)})

    def threshold(self, stat: str) -> float:
        return self.median_regression if stat == "p50" else self.p95_regression

    def too_small(self, stat: str, ratio: float, ci: tuple[float, float]) -> str:
        """Why a real shift of `stat` is not big enough under this rule ("": it is)."""
        bar = 1 + self.threshold(stat)
        if self.rule == "strict":
            return f"interval's lower end ×{ci[0]:.2f} ≤ ×{bar:.2f}" if ci[0] <= bar else ""
        if ratio < bar:
            return f"×{ratio:.2f} < ×{bar:.2f}"
        return f"interval's lower end ×{ci[0]:.2f} ≤ ×1.00" if ci[0] <= 1 else ""

    def needs(self, stat: str) -> int:
        return self.min_samples if stat == "p50" else max(self.p95_min_samples,
                                                           self.min_samples)


def judge(comps: dict[str, Comparison], rule: Rule) -> dict[str, bool]:
    """Sets every shift's verdict; returns endpoint (and OVERALL) -> slower at either
    statistic. The paired-rounds p-values of every (endpoint, statistic) with enough
    requests form one family, held to `alpha` by Holm's step-down."""
    family = []
    for k, c in comps.items():
        for name, sh in c.shifts.items():
            need = rule.needs(name)
            if c.ok_counts < need:
                sh.verdict = INCONCLUSIVE
                sh.why = f"{c.ok_counts} requests on the smaller side, {need} needed"
            elif sh.ratio is None or sh.ci is None or sh.p_rounds is None:
                sh.verdict = INCONCLUSIVE
                sh.why = f"only {sh.pairs} round pair(s) with enough requests"
            else:
                family.append((sh.p_rounds, k, name))
    family.sort()
    holm_open = True
    for i, (p, k, name) in enumerate(family):
        c, sh = comps[k], comps[k].shifts[name]
        level = rule.alpha / (len(family) - i)
        holm_open = holm_open and p < level
        assert sh.ci is not None and sh.ratio is not None
        bar = 1 + rule.threshold(name)
        delta = getattr(c.branch, name) - getattr(c.base, name)
        small = rule.too_small(name, sh.ratio, sh.ci)
        if not holm_open:
            sh.verdict, sh.why = NOT_SLOWER, f"round pairs p = {p:.2g} ≥ {level:.2g} (Holm)"
        elif small:
            sh.verdict, sh.why = NOT_SLOWER, small
        elif delta < rule.min_delta_ms:
            sh.verdict, sh.why = NOT_SLOWER, f"{delta:.2f} ms < min_delta_ms"
        elif rule.rule == "strict":
            sh.verdict = SLOWER
            sh.why = (f"interval [×{sh.ci[0]:.2f}, ×{sh.ci[1]:.2f}] above ×{bar:.2f}, "
                      f"round pairs p = {p:.2g}")
        else:
            sh.verdict = SLOWER
            sh.why = (f"×{sh.ratio:.2f} ≥ ×{bar:.2f}, interval [×{sh.ci[0]:.2f}, "
                      f"×{sh.ci[1]:.2f}] above ×1.00, round pairs p = {p:.2g}")
    return {k: bool(c.decided_by) for k, c in comps.items()}


def judge_report(data: dict[str, Any], rule: Rule) -> dict[str, bool]:
    """`judge` again on a perf.json (`data`), by `rule`: what another rule would have
    said of the same run (bench/perf_power.py weighs the rules on the same runs)."""
    comps = {OVERALL: Comparison.from_json(data["overall"]),
             **{k: Comparison.from_json(e) for k, e in data["endpoints"].items()}}
    return judge(comps, rule)


def ecdf(values: np.ndarray, points: int = 200) -> list[tuple[float, float]]:
    """(latency, fraction ≤ it) at up to `points` quantiles: a chart's line."""
    if not values.size:
        return []
    qs = np.linspace(0, 100, min(points, max(values.size, 2)))
    return [(float(x), float(q) / 100) for x, q in zip(np.percentile(values, qs), qs,
                                                       strict=True)]
