"""Container runtime benchmarks: Cove, crun and runc driven the same way (see phase.py for the namespace
they run in). Lifecycle, run, parallel run and exec here; memory in memory.py.

Every round runs each runtime once, in an order that rotates every round; round -1 is a warm-up. A runtime
whose step fails is marked (Cove: "unsupported", others: "failed") with the error line and left out of the
rest of that benchmark; the others carry on.
"""
import json
import os
import signal
import time

from . import proc
from .common import MiB, TIMEOUT, StepFailed  # noqa: F401 (re-exported)
from .memory import MemoryBenches
from .model import Bench, summarize


PARALLEL_SETTLE_S = 1.0


class Runtime:
    def __init__(self, name, binary, root):
        self.name, self.binary, self.root = name, binary, root

    def cmd(self, *args):
        return [self.binary, "--root", self.root, *args]



class RuntimeBenches(MemoryBenches):
    def __init__(self, cfg, runtimes, bundles, work, prefix, say):
        self.cfg, self.runtimes, self.bundles = cfg, runtimes, bundles
        self.work, self.prefix, self.say = work, prefix, say
        self.logs = os.path.join(work, "logs")
        os.makedirs(self.logs, exist_ok=True)
        self.live = {}  # (runtime name, id) -> Runtime, for cleanup
        self.counter = 0
        self.names = [rt.name for rt in runtimes]
        self.rss_cli = {rt.name: [] for rt in runtimes}
        self.rss_init = {rt.name: [] for rt in runtimes}
        self.rss_errors = {}
        self.notes = []
        self.hung = set()
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

    def timeout(self, rt):
        """A runtime that hung once gets a short leash afterwards, so one hang cannot eat the whole run."""
        return 5.0 if rt.name in self.hung else TIMEOUT

    def run_rt(self, rt, argv, log):
        r = proc.run(argv, log, self.timeout(rt))
        if r.timed_out:
            self.hung.add(rt.name)
        return r

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
        pidfile = os.path.join(self.work, "state", f"{rt.name}.pid")
        if os.path.exists(pidfile):
            os.unlink(pidfile)
        self.live[(rt.name, cid)] = rt
        c = self.run_rt(rt, self.rt_cmd(rt, "create", "--bundle", bundle, "--pid-file", pidfile, cid,
                                        wrap=wrap and "create"),
                     self.log(rt, "create"))
        if not c.ok:
            self.force_delete(rt, cid)
            raise StepFailed(c.error_line())
        try:
            pid = self.read_pid(rt, cid, pidfile)
            pidfd = os.pidfd_open(pid)
        except (StepFailed, OSError) as e:
            self.force_delete(rt, cid)
            raise StepFailed(str(e))
        s = self.run_rt(rt, self.rt_cmd(rt, "start", cid, wrap=wrap and "start"), self.log(rt, "start"))
        if not s.ok:
            os.close(pidfd)
            self.force_delete(rt, cid)
            raise StepFailed(s.error_line())
        return cid, pid, pidfd, c, s

    def lifecycle_once(self, rt, bundle, wrap=False):
        cid, pid, pidfd, c, s = self.create_started(rt, bundle, wrap)
        try:
            t0 = time.perf_counter()
            if not proc.wait_pidfd(pidfd, self.timeout(rt)):
                raise StepFailed(f"{rt.name}: container {cid} still running {self.timeout(rt):.0f}s after start")
            wait_s = time.perf_counter() - t0
            init_rss = None
            try:
                rc, init_rss = proc.reap(pid)
            except ChildProcessError:
                pass  # not re-parented to us (the runtime keeps a monitor process): nothing to reap
            d = self.run_rt(rt, self.rt_cmd(rt, "delete", cid, wrap=wrap and "delete"), self.log(rt, "delete"))
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
        cpu = self.add(Bench("run_cpu", "  CPU time of a foreground run (user+sys, its processes and the container's)",
                             "ms", self.names))
        det = self.add(Bench("run_detach_delete", "run --detach + wait + delete", "ms", self.names,
                             target={"crun": 0.7, "runc": 0.25}))
        self.say(f"run: {n} rounds of foreground run, then {n} rounds of run --detach + wait + delete")
        active = list(self.runtimes)
        for i in range(-1, n):
            for rt in self.rotation(i + 1, active):
                cid = self.new_id(rt)
                self.live[(rt.name, cid)] = rt
                r = self.run_rt(rt, rt.cmd("run", "--bundle", self.bundles["plain"], cid), self.log(rt, "run"))
                left = os.path.exists(os.path.join(rt.root, cid))
                self.force_delete(rt, cid)
                if not r.ok or left:
                    why = r.error_line() if not r.ok else f"{rt.name} run left state {rt.root}/{cid} behind"
                    self.note_failure(fg.series[rt.name], rt, why)
                    active.remove(rt)
                elif i >= 0:
                    fg.series[rt.name].samples.append(r.ms)
                    cpu.series[rt.name].samples.append(r.cpu_secs * 1000)
            proc.sweep_zombies()
        for rt in self.runtimes:
            if not fg.series[rt.name].usable:
                cpu.series[rt.name].fail(fg.series[rt.name].status, fg.series[rt.name].error)
        self.report(fg)
        self.report(cpu)
        active = list(self.runtimes)
        pidfile = os.path.join(self.work, "run.pid")
        for i in range(-1, n):
            for rt in self.rotation(i + 1, active):
                cid = self.new_id(rt)
                self.live[(rt.name, cid)] = rt
                if os.path.exists(pidfile):
                    os.unlink(pidfile)
                try:
                    r = self.run_rt(rt, rt.cmd("run", "--detach", "--bundle", self.bundles["plain"],
                                               "--pid-file", pidfile, cid), self.log(rt, "run"))
                    if not r.ok:
                        raise StepFailed(r.error_line())
                    pid = self.read_pid(rt, cid, pidfile)
                    pidfd = os.pidfd_open(pid)
                    try:
                        t0 = time.perf_counter()
                        if not proc.wait_pidfd(pidfd, self.timeout(rt)):
                            raise StepFailed(f"{rt.name}: container {cid} still running "
                                             f"{self.timeout(rt):.0f}s after run -d")
                        wait_ms = (time.perf_counter() - t0) * 1000
                        try:
                            proc.reap(pid)
                        except ChildProcessError:
                            pass
                    finally:
                        os.close(pidfd)
                    d = self.run_rt(rt, rt.cmd("delete", cid), self.log(rt, "delete"))
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
        # On a machine with few CPUs a burst is CPU-bound: its wall time follows this, plus the kernel work
        # the runs leave to kernel threads (network namespace teardown), which no runtime's rusage shows.
        cpu_b = self.add(Bench("parallel_cpu", f"  CPU time per container in the {count}× burst (user+sys, as above)",
                               "ms", self.names))
        self.say(f"parallel: {reps} rep(s) of {count} containers started at once")
        active = list(self.runtimes)
        for i in range(reps):
            for rt in self.rotation(i, active):
                ids = [self.new_id(rt) for _ in range(count)]
                for cid in ids:
                    self.live[(rt.name, cid)] = rt
                runs = [(rt.cmd("run", "--bundle", self.bundles["plain"], cid),
                         os.path.join(self.logs, f"par-{rt.name}-{k}.log")) for k, cid in enumerate(ids)]
                # The kernel tears the previous burst's 50 network namespaces down after it has been timed;
                # let that finish, so no burst is charged with the one before it (the rotation's order is fixed).
                time.sleep(PARALLEL_SETTLE_S)
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
                cpu_b.series[rt.name].samples.append(sum(r.cpu_secs for r in res) * 1000 / count)
        for rt in self.runtimes:
            if not run_b.series[rt.name].usable:
                cpu_b.series[rt.name].fail(run_b.series[rt.name].status, run_b.series[rt.name].error)
        for s in run_b.series.values():
            if s.usable and s.samples:
                s.extra["per_container_ms"] = round(summarize(s.samples)["median"] / count, 3)
        self.report(run_b)
        self.report(cpu_b)

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
                    r = self.run_rt(rt, rt.cmd("exec", cid, "/bin/true"), self.log(rt, "exec"))
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
