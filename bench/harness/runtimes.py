"""Container runtime benchmarks: Cove, crun and runc driven the same way, in one private mount namespace.

Everything here runs in a forked child of the harness (see `phase()`), which
  1. unshares its mount namespace and makes every mount private (nothing propagates to the host),
  2. on a hybrid cgroup host bind-mounts an empty file over /sys/fs/cgroup/unified/cgroup.controllers —
     crun 1.8.1 refuses hybrid hosts otherwise ("cgroups in hybrid mode not supported"); all three
     runtimes run under the same mount, so they see the same host,
  3. becomes a child subreaper, so container processes orphaned by `create` are re-parented to it and
     the `wait` step is a pidfd poll on the container's init (no polling of `state`).
"""
import json
import os
import shutil
import signal
import time

from . import cgroups, proc
from .model import Bench, Series, summarize

TIMEOUT = 30.0
EMPTY_CONTROLLERS = "/sys/fs/cgroup/unified/cgroup.controllers"
MiB = 1024 * 1024


class StepFailed(Exception):
    pass


class Runtime:
    def __init__(self, name, binary, root):
        self.name, self.binary, self.root = name, binary, root

    def cmd(self, *args):
        return [self.binary, "--root", self.root, *args]


def how_runtimes_are_run(hybrid, empty_file):
    if hybrid:
        return ("Each runtime command is spawned by bench.py from inside one private mount namespace "
                "(unshare(CLONE_NEWNS) + mount --make-rprivate /) in which an empty file is bind-mounted over "
                f"{EMPTY_CONTROLLERS}, so crun 1.8.1 accepts this hybrid cgroup host. Cove, crun and runc all run "
                "inside that same namespace, each with its own --root state dir. Shell equivalent: "
                f"unshare -m --propagation private sh -c 'mount --bind {empty_file} {EMPTY_CONTROLLERS} && "
                "RUNTIME --root STATEDIR create --bundle BUNDLE --pid-file F ID'")
    return ("Each runtime command is spawned by bench.py from inside one private mount namespace "
            "(no hybrid cgroup layout here, so no cgroup.controllers bind mount is needed).")


class RuntimeBenches:
    def __init__(self, cfg, runtimes, bundles, work, prefix, say):
        self.cfg, self.runtimes, self.bundles, self.work, self.prefix, self.say = cfg, runtimes, bundles, work, prefix, say
        self.logs = os.path.join(work, "logs")
        os.makedirs(self.logs, exist_ok=True)
        self.live = {}  # (runtime name, id) -> Runtime, for cleanup
        self.counter = 0
        self.names = [rt.name for rt in runtimes]
        self.rss_cli = {rt.name: [] for rt in runtimes}
        self.rss_init = {rt.name: [] for rt in runtimes}
        self.rss_errors = {}
        self.notes = []
        self.rss_floor = None
        self.benches = []

    # ---- helpers -------------------------------------------------------------------------------

    def new_id(self, rt):
        self.counter += 1
        return f"{self.prefix}-{rt.name}-{self.counter}"

    def log(self, rt, step):
        return os.path.join(self.logs, f"{rt.name}-{step}.log")

    def failure_status(self, rt):
        return "unsupported" if rt.name == "cove" else "failed"

    def note_failure(self, bench_series, rt, message):
        bench_series.fail(self.failure_status(rt), message)
        self.say(f"    {rt.name}: {bench_series.status}: {message}")

    def force_delete(self, rt, cid):
        proc.run(rt.cmd("delete", "--force", cid), self.log(rt, "cleanup"), timeout=15)
        self.live.pop((rt.name, cid), None)

    def rotation(self, i, rts=None):
        rts = list(self.runtimes if rts is None else rts)
        k = i % len(rts) if rts else 0
        return rts[k:] + rts[:k]

    def read_pid(self, rt, cid, pidfile):
        try:
            with open(pidfile) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            pass
        r = proc.run(rt.cmd("state", cid), self.log(rt, "state"))
        if r.ok:
            try:
                with open(r.log) as f:
                    return int(json.load(f)["pid"])
            except (OSError, ValueError, KeyError, TypeError):
                pass
        raise StepFailed(f"{rt.name} create: no pid in --pid-file or `state` output")

    def rt_cmd(self, rt, *args, wrap=None):
        """The runtime's argv; with wrap=name, run under GNU time writing the peak RSS to a file."""
        argv = rt.cmd(*args)
        if wrap:
            argv = [self.cfg["gnu_time"], "-f", "%M", "-o", self.rss_file(rt, wrap)] + argv
        return argv

    def rss_file(self, rt, step):
        return os.path.join(self.logs, f"{rt.name}-{step}.rss")

    def read_rss(self, rt, step):
        """GNU time's %M: ru_maxrss (KiB) of the runtime process and the children it reaped."""
        try:
            with open(self.rss_file(rt, step)) as f:
                return int(f.read().split()[-1])
        except (OSError, ValueError, IndexError):
            return None

    def create_started(self, rt, bundle, wrap=False):
        """create (+pid) → start; returns (cid, pid, pidfd, create Result, start Result)."""
        cid = self.new_id(rt)
        pidfile = os.path.join(self.work, f"{rt.name}.pid")
        if os.path.exists(pidfile):
            os.unlink(pidfile)
        self.live[(rt.name, cid)] = rt
        c = proc.run(self.rt_cmd(rt, "create", "--bundle", bundle, "--pid-file", pidfile, cid, wrap=wrap and "create"),
                     self.log(rt, "create"), TIMEOUT)
        if not c.ok:
            self.force_delete(rt, cid)
            raise StepFailed(c.error_line())
        try:
            pid = self.read_pid(rt, cid, pidfile)
            pidfd = os.pidfd_open(pid)
        except (StepFailed, OSError) as e:
            self.force_delete(rt, cid)
            raise StepFailed(str(e))
        s = proc.run(self.rt_cmd(rt, "start", cid, wrap=wrap and "start"), self.log(rt, "start"), TIMEOUT)
        if not s.ok:
            os.close(pidfd)
            self.force_delete(rt, cid)
            raise StepFailed(s.error_line())
        return cid, pid, pidfd, c, s

    def lifecycle_once(self, rt, bundle, wrap=False):
        cid, pid, pidfd, c, s = self.create_started(rt, bundle, wrap)
        try:
            t0 = time.perf_counter()
            if not proc.wait_pidfd(pidfd, TIMEOUT):
                raise StepFailed(f"{rt.name}: container {cid} still running {TIMEOUT:.0f}s after start")
            wait_s = time.perf_counter() - t0
            init_rss = None
            try:
                rc, init_rss = proc.reap(pid)
            except ChildProcessError:
                pass  # not re-parented to us (the runtime keeps a monitor process): nothing to reap
            d = proc.run(self.rt_cmd(rt, "delete", cid, wrap=wrap and "delete"), self.log(rt, "delete"), TIMEOUT)
            if not d.ok:
                raise StepFailed(d.error_line())
            self.live.pop((rt.name, cid), None)
        except BaseException:
            self.force_delete(rt, cid)
            raise
        finally:
            os.close(pidfd)
        if init_rss:
            self.rss_init[rt.name].append(init_rss)
        if wrap:
            self.rss_cli[rt.name] += [x for x in (self.read_rss(rt, k) for k in ("create", "start", "delete")) if x]
        return {"create": c.ms, "start": s.ms, "wait": wait_s * 1000, "delete": d.ms,
                "total": c.ms + s.ms + wait_s * 1000 + d.ms}

    def add(self, bench):
        self.benches.append(bench)
        return bench

    def report(self, bench):
        parts = []
        for name, s in bench.series.items():
            if s.usable and s.samples:
                st = summarize(s.samples)
                parts.append(f"{name} {st['median']:.2f} ({st['p10']:.2f}–{st['p90']:.2f})")
            else:
                parts.append(f"{name} {s.status}")
        self.say(f"  {bench.title} [{bench.unit}]: " + "; ".join(parts))

    # ---- benchmarks ----------------------------------------------------------------------------

    def limits_applied(self, rt, bundle, **want):
        """Untimed check before timing a bundle with limits: create a container, read the limits its cgroups
        really have, delete it. Returns None when all are applied, else why not. A runtime that accepts
        the limits but does not apply them does less work; its times would not be comparable."""
        cid = self.new_id(rt)
        pidfile = os.path.join(self.work, f"{rt.name}.pid")
        if os.path.exists(pidfile):
            os.unlink(pidfile)
        self.live[(rt.name, cid)] = rt
        try:
            c = proc.run(rt.cmd("create", "--bundle", bundle, "--pid-file", pidfile, cid), self.log(rt, "create"),
                         TIMEOUT)
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

    def lifecycle(self, n, limits):
        bundle = self.bundles["limits" if limits else "plain"]
        tag = "lifecycle_limits" if limits else "lifecycle"
        title = "create+start+wait+delete" + (", cgroup limits" if limits else "")
        total = self.add(Bench(tag, title, "ms", self.names, target={"crun": 0.7, "runc": 0.25}))
        steps = {}
        if not limits:
            for step in ("create", "start", "wait", "delete"):
                steps[step] = self.add(Bench(f"{tag}.{step}", f"  {step}", "ms", self.names))
        self.say(f"{title}: {n} rounds, runtimes interleaved ({', '.join(self.names)})")
        active = list(self.runtimes)
        for rt in list(active):
            why = self.limits_applied(rt, bundle, **(self.cfg["limits_want"] if limits else {}))
            if why:
                self.note_failure(total.series[rt.name], rt, why)
                for b in steps.values():
                    b.series[rt.name].fail(total.series[rt.name].status, why)
                active.remove(rt)
        for i in range(-1, n):  # round -1 is a warm-up, not recorded
            for rt in self.rotation(i + 1, active):
                try:
                    r = self.lifecycle_once(rt, bundle)
                except StepFailed as e:
                    self.note_failure(total.series[rt.name], rt, str(e))
                    for b in steps.values():
                        b.series[rt.name].fail(total.series[rt.name].status, str(e))
                    active.remove(rt)
                    continue
                if i >= 0:
                    total.series[rt.name].samples.append(r["total"])
                    for step, b in steps.items():
                        b.series[rt.name].samples.append(r[step])
            proc.sweep_zombies()
        self.report(total)
        for b in steps.values():
            self.report(b)

    def run_delete(self, n):
        """Two ways to go through a whole container with `run`:
        foreground `run` (runc and Cove remove the container when it exits unless --keep; crun 1.8.1 has no
        --keep and always removes it), and `run --detach` + wait + `delete`."""
        fg = self.add(Bench("run", "run (foreground; removes the container on exit)", "ms", self.names,
                            target={"crun": 0.7, "runc": 0.25}))
        det = self.add(Bench("run_detach_delete", "run --detach + wait + delete", "ms", self.names,
                             target={"crun": 0.7, "runc": 0.25}))
        self.say(f"run: {n} rounds of foreground run, then {n} rounds of run --detach + wait + delete")
        active = list(self.runtimes)
        for i in range(-1, n):
            for rt in self.rotation(i + 1, active):
                cid = self.new_id(rt)
                self.live[(rt.name, cid)] = rt
                r = proc.run(rt.cmd("run", "--bundle", self.bundles["plain"], cid), self.log(rt, "run"), TIMEOUT)
                left = os.path.exists(os.path.join(rt.root, cid))
                self.force_delete(rt, cid)
                if not r.ok or left:
                    why = r.error_line() if not r.ok else f"{rt.name} run left state {rt.root}/{cid} behind"
                    self.note_failure(fg.series[rt.name], rt, why)
                    active.remove(rt)
                elif i >= 0:
                    fg.series[rt.name].samples.append(r.ms)
            proc.sweep_zombies()
        self.report(fg)
        active = list(self.runtimes)
        pidfile = os.path.join(self.work, "run.pid")
        for i in range(-1, n):
            for rt in self.rotation(i + 1, active):
                cid = self.new_id(rt)
                self.live[(rt.name, cid)] = rt
                if os.path.exists(pidfile):
                    os.unlink(pidfile)
                try:
                    r = proc.run(rt.cmd("run", "--detach", "--bundle", self.bundles["plain"], "--pid-file", pidfile,
                                        cid), self.log(rt, "run"), TIMEOUT)
                    if not r.ok:
                        raise StepFailed(r.error_line())
                    pid = self.read_pid(rt, cid, pidfile)
                    pidfd = os.pidfd_open(pid)
                    try:
                        t0 = time.perf_counter()
                        if not proc.wait_pidfd(pidfd, TIMEOUT):
                            raise StepFailed(f"{rt.name}: container {cid} still running {TIMEOUT:.0f}s after run -d")
                        wait_ms = (time.perf_counter() - t0) * 1000
                        try:
                            proc.reap(pid)
                        except ChildProcessError:
                            pass
                    finally:
                        os.close(pidfd)
                    d = proc.run(rt.cmd("delete", cid), self.log(rt, "delete"), TIMEOUT)
                    if not d.ok:
                        raise StepFailed(d.error_line())
                    self.live.pop((rt.name, cid), None)
                except (StepFailed, OSError) as e:
                    self.force_delete(rt, cid)
                    self.note_failure(det.series[rt.name], rt, str(e))
                    active.remove(rt)
                    continue
                if i >= 0:
                    det.series[rt.name].samples.append(r.ms + wait_ms + d.ms)
            proc.sweep_zombies()
        self.report(det)

    def parallel(self, reps, count):
        """`count` foreground `run`s started at once; wall time until the last one exited (each runtime
        removes its container on exit — checked afterwards, and anything left is force-deleted untimed)."""
        run_b = self.add(Bench("parallel_run", f"{count}× run in parallel (wall, all exited)", "ms", self.names,
                               target={"crun": 0.7, "runc": 0.25}))
        self.say(f"parallel: {reps} rep(s) of {count} containers started at once")
        active = list(self.runtimes)
        for i in range(reps):
            for rt in self.rotation(i, active):
                ids = [self.new_id(rt) for _ in range(count)]
                for cid in ids:
                    self.live[(rt.name, cid)] = rt
                runs = [(rt.cmd("run", "--bundle", self.bundles["plain"], cid),
                         os.path.join(self.logs, f"par-{rt.name}-{k}.log")) for k, cid in enumerate(ids)]
                wall, res = proc.run_many(runs, timeout=180)
                left = [cid for cid in ids if os.path.exists(os.path.join(rt.root, cid))]
                for cid in ids:
                    if cid in left:
                        self.force_delete(rt, cid)
                    else:
                        self.live.pop((rt.name, cid), None)
                proc.sweep_zombies()
                bad = [r for r in res if not r.ok]
                if bad or left:
                    msg = (f"{len(bad)} of {count} runs failed; first: {bad[0].error_line()}" if bad
                           else f"{len(left)} of {count} containers left in {rt.root} after run")
                    self.note_failure(run_b.series[rt.name], rt, msg)
                    active.remove(rt)
                    continue
                run_b.series[rt.name].samples.append(wall * 1000)
        for s in run_b.series.values():
            if s.usable and s.samples:
                s.extra["per_container_ms"] = round(summarize(s.samples)["median"] / count, 3)
        self.report(run_b)

    def exec_latency(self, n):
        bench = self.add(Bench("exec", "exec /bin/true into running container", "ms", self.names))
        self.say(f"exec: {n} rounds")
        running = {}
        try:
            for rt in self.runtimes:
                try:
                    cid, pid, pidfd, _, _ = self.create_started(rt, self.bundles["exec"])
                    running[rt.name] = (rt, cid, pid, pidfd)
                except StepFailed as e:
                    self.note_failure(bench.series[rt.name], rt, str(e))
            active = [running[name][0] for name in self.names if name in running]
            for i in range(-1, n):
                for rt in self.rotation(i + 1, active):
                    _, cid, _, _ = running[rt.name]
                    r = proc.run(rt.cmd("exec", cid, "/bin/true"), self.log(rt, "exec"), TIMEOUT)
                    if not r.ok:
                        self.note_failure(bench.series[rt.name], rt, r.error_line())
                        active.remove(rt)
                    elif i >= 0:
                        bench.series[rt.name].samples.append(r.ms)
        finally:
            for rt, cid, pid, pidfd in running.values():
                proc.run(rt.cmd("kill", cid, "KILL"), self.log(rt, "cleanup"), timeout=15)
                if not proc.wait_pidfd(pidfd, 5):
                    # The runtime could not stop it: the process is ours (re-parented to us), end it by PID.
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    proc.wait_pidfd(pidfd, 5)
                try:
                    proc.reap(pid)
                except ChildProcessError:
                    pass
                os.close(pidfd)
                self.force_delete(rt, cid)
            proc.sweep_zombies()
        self.report(bench)

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
                    r = proc.run(self.rt_cmd(rt, "run", "--bundle", self.bundles["plain"], cid, wrap="run"),
                                 self.log(rt, "run"), TIMEOUT)
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

    # ---- cleanup -------------------------------------------------------------------------------

    def cleanup(self):
        # Stop runtime commands still in flight (after an interrupt) before deleting what they made.
        killed = proc.kill_own_children()
        self.leaked_state = []
        for rt in self.runtimes:
            if os.path.isdir(rt.root):
                self.leaked_state += [{"path": os.path.join(rt.root, e), "removed": True,
                                       "error": f"left in {rt.name}'s state dir after its container was deleted"}
                                      for e in sorted(os.listdir(rt.root)) if (rt.name, e) not in self.live]
        for (name, cid), rt in list(self.live.items()):
            self.force_delete(rt, cid)
        # State dirs may hold containers we never learned about (a create that half-worked).
        for rt in self.runtimes:
            if os.path.isdir(rt.root):
                for entry in os.listdir(rt.root):
                    if entry.startswith(self.prefix):
                        proc.run(rt.cmd("delete", "--force", entry), self.log(rt, "cleanup"), timeout=15)
        killed += proc.kill_own_children()
        return killed

def warning_line(log):
    try:
        with open(log, errors="replace") as f:
            return next((l.strip()[:160] for l in f if "warn" in l.lower()), None)
    except OSError:
        return None


def _mount_points():
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f]


def phase(cfg, out_path, say):
    """Entry point of the forked child: set up the namespace, run the selected benchmarks, clean up,
    write the JSON to out_path. Never returns (os._exit)."""
    code = 0
    result = {"benches": [], "leftovers": [], "notes": []}
    rb = None
    mounts_before = None
    hybrid = os.path.exists(EMPTY_CONTROLLERS)
    mounted = False
    interrupted = [False]

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    try:
        proc.unshare_mount_ns()
        mounts_before = _mount_points()
        if hybrid:
            proc.bind_mount(cfg["empty_file"], EMPTY_CONTROLLERS)
            mounted = True
        proc.set_subreaper()
        result["how_run"] = how_runtimes_are_run(hybrid, cfg["empty_file"])
        runtimes = []
        for name, binary in cfg["runtimes"]:
            root = os.path.join(cfg["work"], "state", name)
            os.makedirs(root, exist_ok=True)
            runtimes.append(Runtime(name, binary, root))
        rb = RuntimeBenches(cfg, runtimes, cfg["bundles"], cfg["work"], cfg["prefix"], say)
        sel, n = cfg["select"], cfg["n"]
        if "lifecycle" in sel:
            rb.lifecycle(n["lifecycle"], limits=False)
            rb.lifecycle(n["lifecycle"], limits=True)
        if "run" in sel:
            rb.run_delete(n["run"])
        if "parallel" in sel:
            rb.parallel(n["parallel_reps"], n["parallel_count"])
        if "exec" in sel:
            rb.exec_latency(n["exec"])
        if "memory" in sel:
            if cfg.get("gnu_time"):
                rb.peak_rss(n["rss_rounds"])
            else:
                result["notes"].append("peak RSS not measured: GNU time (/usr/bin/time) is not installed")
            rb.min_memory(n["mem_step"], n["mem_hi"])
    except KeyboardInterrupt:
        interrupted[0] = True
        result["notes"].append("interrupted: results are partial")
        code = 130
    except Exception as e:  # report, clean up, and let the parent carry on with the other benchmarks
        result["notes"].append(f"runtime benchmarks stopped: {type(e).__name__}: {e}")
        say(f"runtime benchmarks stopped: {type(e).__name__}: {e}")
        code = 1
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        if rb is not None:
            killed = rb.cleanup()
            if killed:
                result["notes"].append(f"cleanup had to kill {len(killed)} leftover process(es)")
            result["benches"] = [b.to_json() for b in rb.benches]
            result["leftovers"] += rb.leaked_state
            result["notes"] += rb.notes
        else:
            proc.kill_own_children()
        result["leftovers"] += cgroups.remove_leftovers(cfg["prefix"])
        if mounts_before is not None:
            # Mounts a runtime left in our namespace (they die with it, but leaving them is a bug to report).
            for mnt in sorted(set(_mount_points()) - set(mounts_before) - {EMPTY_CONTROLLERS}, reverse=True):
                item = {"path": f"mount {mnt}", "removed": True}
                try:
                    proc.umount(mnt)
                except OSError as e:
                    item.update(removed=False, error=str(e))
                result["leftovers"].append(item)
        if mounted:
            try:
                proc.umount(EMPTY_CONTROLLERS)
            except OSError as e:
                result["notes"].append(str(e))
        shutil.rmtree(os.path.join(cfg["work"], "state"), ignore_errors=True)
        try:
            with open(out_path, "w") as f:
                json.dump(result, f)
        except Exception:
            code = code or 1
        os._exit(code)
