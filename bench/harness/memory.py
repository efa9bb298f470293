"""Memory benchmarks of the runtimes: peak RSS under GNU time, and the smallest memory limit that still
runs a container. Also the check that limits a bundle asks for are really applied."""
import json
import os

from . import cgroups, proc
from .common import MiB, StepFailed
from .model import Bench


class MemoryBenches:
    """Mixed into RuntimeBenches (uses its helpers: new_id, log, live, force_delete, read_pid, rt_cmd...)."""

    def limits_applied(self, rt, bundle, **want):
        """Untimed check before timing a bundle with limits: create a container, read the limits its cgroups
        really have, delete it. Returns None when all are applied, else why not. A runtime that accepts
        the limits but does not apply them does less work; its times would not be comparable."""
        cid = self.new_id(rt)
        pidfile = os.path.join(self.work, "state", f"{rt.name}.pid")
        if os.path.exists(pidfile):
            os.unlink(pidfile)
        self.live[(rt.name, cid)] = rt
        try:
            c = self.run_rt(rt, rt.cmd("create", "--bundle", bundle, "--pid-file", pidfile, cid),
                            self.log(rt, "create"))
            if not c.ok:
                return c.error_line()
            try:
                pid = self.read_pid(rt, cid, pidfile)
                if not want:
                    if cgroups.in_callers_cgroups(pid):
                        self.notes.append(f"{rt.name}: the container stays in the caller's cgroups (the runtime "
                                          "made no cgroup for it, so config.json's device rule is not applied): "
                                          "its lifecycle does less work than the others'")
                    return None
                problems = cgroups.check_limits(pid, **want)
            except (StepFailed, OSError) as e:
                return f"cannot read the container's cgroups: {e}"
            if problems:
                warn = warning_line(c.log)
                return "limits not applied: " + "; ".join(problems) + (f" — it said: {warn}" if warn else "")
            return None
        finally:
            self.force_delete(rt, cid)
            proc.sweep_zombies()

    def memory_trial(self, rt, limit):
        with open(os.path.join(self.bundles["mem"], "config.json"), "w") as f:
            json.dump(self.cfg["mem_config"](limit), f)
        cid = self.new_id(rt)
        self.live[(rt.name, cid)] = rt
        r = proc.run(rt.cmd("run", "--bundle", self.bundles["mem"], cid), self.log(rt, "memrun"), 10)
        self.force_delete(rt, cid)
        proc.sweep_zombies()
        return r

    def min_memory(self, step, hi, floor=64 * 1024):
        """Per runtime: halve the limit from `hi` until `run` fails (or `floor` still works), then bisect between
        the last failure and the last success down to min(step, failure/16), at least one page. Runtimes take
        turns trial by trial. A limit the runtime does not really apply is reported, not searched."""
        bench = self.add(Bench("min_memory_limit", "smallest memory.limit that still runs /bin/true", "MiB",
                               self.names, single=True))
        self.say(f"smallest memory limit: halving from {hi // MiB} MiB, then bisecting to ≤{step // 1024} KiB")
        state = {}
        for rt in self.runtimes:
            with open(os.path.join(self.bundles["mem"], "config.json"), "w") as f:
                json.dump(self.cfg["mem_config"](hi), f)
            why = self.limits_applied(rt, self.bundles["mem"], memory=hi)
            if why:
                self.note_failure(bench.series[rt.name], rt, why)
                continue
            r = self.memory_trial(rt, hi)
            if r.ok:
                state[rt.name] = {"lo": None, "hi": hi, "trials": [[hi, True]], "error": None, "done": False}
            else:
                self.note_failure(bench.series[rt.name], rt, f"fails even at {hi // MiB} MiB: {r.error_line()}")

        def next_limit(st):
            if st["lo"] is None:
                cand = st["hi"] // 2 // 4096 * 4096
                return cand if cand >= floor else None
            res = max(4096, min(step, st["lo"] // 16))
            if st["hi"] - st["lo"] <= res:
                return None
            return (st["lo"] + st["hi"]) // 2 // 4096 * 4096

        while not all(st["done"] for st in state.values()):
            for rt in self.runtimes:
                st = state.get(rt.name)
                if st is None or st["done"]:
                    continue
                limit = next_limit(st)
                if limit is None:
                    st["done"] = True
                    continue
                r = self.memory_trial(rt, limit)
                st["trials"].append([limit, r.ok])
                if r.ok:
                    st["hi"] = limit
                else:
                    st["lo"], st["error"] = limit, r.error_line()
        for name, st in state.items():
            s = bench.series[name]
            s.samples.append(st["hi"] / MiB)
            s.extra["trials"] = st["trials"]
            if st["lo"] is None:
                s.extra["at_floor"] = True  # still ran at the smallest limit tried: the real minimum is lower
            else:
                s.extra["highest_failing_mib"] = round(st["lo"] / MiB, 4)
                s.extra["error_below"] = st["error"]
        self.report(bench)

    def peak_rss(self, rounds):
        """Peak RSS needs its own runs: a process started by the harness (fork or vfork of Python) carries
        Python's RSS into ru_maxrss at exec. So every runtime command here runs under GNU time, whose
        forked child only carries time's own ~1.5 MiB — measured below as the floor of this method."""
        self.say(f"peak RSS: {rounds} lifecycle + run/delete rounds per runtime under {self.cfg['gnu_time']}")
        floor = os.path.join(self.logs, "floor.rss")
        proc.run([self.cfg["gnu_time"], "-f", "%M", "-o", floor, "/bin/busybox", "true"], floor + ".log")
        try:
            with open(floor) as f:
                self.rss_floor = int(f.read().split()[-1])
        except (OSError, ValueError, IndexError):
            self.rss_floor = None
        active = list(self.runtimes)
        for i in range(rounds):
            for rt in self.rotation(i, active):
                try:
                    self.lifecycle_once(rt, self.bundles["plain"], wrap=True)
                    cid = self.new_id(rt)
                    self.live[(rt.name, cid)] = rt
                    r = self.run_rt(rt, self.rt_cmd(rt, "run", "--bundle", self.bundles["plain"], cid, wrap="run"),
                                    self.log(rt, "run"))
                    self.force_delete(rt, cid)
                    if not r.ok:
                        raise StepFailed(r.error_line())
                    if self.read_rss(rt, "run"):
                        self.rss_cli[rt.name].append(self.read_rss(rt, "run"))
                except StepFailed as e:
                    self.rss_errors[rt.name] = str(e)
                    active.remove(rt)
            proc.sweep_zombies()
        self.rss_benches()

    def rss_benches(self):
        cli = self.add(Bench("peak_rss_cli", "peak RSS, runtime command (create/start/delete/run)", "MiB",
                             self.names, target={"crun": 2.0}, single=True))
        init = self.add(Bench("peak_rss_init", "peak RSS, container init incl. the runtime's setup in it", "MiB",
                              self.names, single=True))
        for rt in self.runtimes:
            a, b = self.rss_cli[rt.name], self.rss_init[rt.name]
            if a:
                cli.series[rt.name].samples.append(max(a) / 1024)
                cli.series[rt.name].extra["floor_mib"] = round((self.rss_floor or 0) / 1024, 2)
            if b:
                init.series[rt.name].samples.append(max(b) / 1024)
            for bench in (cli, init):
                s = bench.series[rt.name]
                if not s.samples and s.usable:
                    s.fail(self.failure_status(rt), self.rss_errors.get(rt.name, "no successful run to measure"))
        for b in (cli, init):
            self.report(b)


def warning_line(log):
    try:
        with open(log, errors="replace") as f:
            return next((l.strip()[:160] for l in f if "warn" in l.lower()), None)
    except OSError:
        return None
