"""Result containers and statistics shared by the benchmarks and the report."""


def percentile(sorted_xs, q):
    """Linear interpolation between closest ranks (numpy's default), q in [0, 1]."""
    if not sorted_xs:
        return None
    if len(sorted_xs) == 1:
        return sorted_xs[0]
    pos = q * (len(sorted_xs) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(sorted_xs) - 1)
    return sorted_xs[lo] + (sorted_xs[hi] - sorted_xs[lo]) * (pos - lo)


def summarize(xs):
    s = sorted(xs)
    if not s:
        return None
    return {
        "n": len(s),
        "median": percentile(s, 0.5),
        "p10": percentile(s, 0.1),
        "p90": percentile(s, 0.9),
        "q1": percentile(s, 0.25),
        "q3": percentile(s, 0.75),
        "min": s[0],
        "max": s[-1],
        "mean": sum(s) / len(s),
    }


class Series:
    """Samples of one tool in one benchmark, or why there are none.

    status: "ok"; "unsupported" (Cove lacks the step: the command is missing or fails); "failed" (a reference
    tool failed — reported, never replaced by a number); "skipped" (not selected / not installed)."""

    def __init__(self):
        self.samples = []
        self.status = "ok"
        self.error = None
        self.extra = {}

    def fail(self, status, error):
        if self.status == "ok":
            self.status, self.error = status, error

    @property
    def usable(self):
        return self.status == "ok"

    def to_json(self):
        d = {"status": self.status}
        if self.error:
            d["error"] = self.error
        if self.status == "ok" and self.samples:
            d.update(summarize(self.samples))
            d["samples"] = [round(x, 4) for x in self.samples]
        elif self.status == "ok":
            d["status"] = "no samples"
        d.update(self.extra)
        return d


class Bench:
    """One row of a table: a named measurement with one Series per tool."""

    def __init__(self, key, title, unit, tools, target=None, lower_is_better=True, single=False):
        self.key, self.title, self.unit = key, title, unit
        self.series = {t: Series() for t in tools}
        self.target = target  # {"crun": 0.7, "runc": 0.25} — max ratio Cove/tool
        self.lower_is_better = lower_is_better
        self.single = single  # one value per tool (no spread)

    def median(self, tool):
        s = self.series.get(tool)
        if s is None or not s.usable or not s.samples:
            return None
        return summarize(s.samples)["median"]

    def ratio(self, tool, ref):
        a, b = self.median(tool), self.median(ref)
        if a is None or b is None or b == 0:
            return None
        return a / b

    def to_json(self, subject="cove"):
        d = {"key": self.key, "title": self.title, "unit": self.unit,
             "results": {t: s.to_json() for t, s in self.series.items()}}
        ratios = {}
        for ref in self.series:
            if ref != subject:
                r = self.ratio(subject, ref)
                ratios[f"{subject}/{ref}"] = None if r is None else round(r, 4)
        d["ratios"] = ratios
        if self.target:
            d["target"] = {f"{subject}/{k}": v for k, v in self.target.items()}
        return d
