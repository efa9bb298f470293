"""Spawning, timing and reaping processes, and the kernel calls Python's stdlib lacks.

Every measured command goes through `run()`: posix_spawn (vfork-like, so the harness adds the same small
cost to every runtime), stdin from /dev/null, stdout+stderr to a log file, then a pidfd poll with a
timeout and wait4 for the exit status and the peak RSS (ru_maxrss covers the process and every
descendant it reaped itself).
"""
import ctypes
import os
import select
import signal
import time

CLONE_NEWNS = 0x00020000
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MNT_DETACH = 2
PR_SET_CHILD_SUBREAPER = 36

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_libc.unshare.argtypes = [ctypes.c_int]
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]


def _check(ret, what):
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def unshare_mount_ns():
    """New mount namespace for this (single-threaded) process; nothing in it propagates to the host."""
    _check(_libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _check(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")


def bind_mount(src, dst):
    _check(_libc.mount(src.encode(), dst.encode(), None, MS_BIND, None), f"mount --bind {src} {dst}")


def mount_tmpfs(path, size):
    _check(_libc.mount(b"tmpfs", path.encode(), b"tmpfs", 0, f"size={size},mode=0755".encode()),
           f"mount -t tmpfs tmpfs {path}")


def umount(path):
    _check(_libc.umount2(path.encode(), MNT_DETACH), f"umount {path}")


def set_subreaper():
    """Orphaned container processes are re-parented to us, so we can wait for them and reap them."""
    _check(_libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl(PR_SET_CHILD_SUBREAPER)")


class Result:
    __slots__ = ("argv", "rc", "secs", "maxrss_kb", "log", "timed_out", "cpu_secs")

    def __init__(self, argv, rc, secs, maxrss_kb, log, timed_out=False, cpu_secs=0.0):
        self.argv, self.rc, self.secs, self.maxrss_kb = argv, rc, secs, maxrss_kb
        self.log, self.timed_out = log, timed_out
        # User + system time of the command and of every process it started and reaped (wait4's rusage):
        # for a foreground `run`, the runtime's processes and the container's.
        self.cpu_secs = cpu_secs

    @property
    def ok(self):
        return self.rc == 0 and not self.timed_out

    @property
    def ms(self):
        return self.secs * 1000.0

    def error_line(self):
        """The line of the command's output that best says what went wrong."""
        if self.timed_out:
            return f"{command_name(self.argv)}: timed out after {self.secs:.0f} s"
        return describe_failure(self.log, self.rc, self.argv)


def describe_failure(log, rc, argv):
    text = ""
    try:
        with open(log, errors="replace") as f:
            text = f.read(20000)
    except OSError:
        pass
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    pick = next((l for l in lines if "error" in l.lower()), lines[0] if lines else "")
    pick = pick[:200]
    status = f"exit {rc}" if rc is not None and rc >= 0 else f"killed by signal {-rc}"
    return f"{command_name(argv)}: {status}" + (f": {pick}" if pick else " (no output)")


def command_name(argv):
    """`cove create` for [/path/cove, --root, DIR, create, ...]; looks through a GNU time wrapper."""
    if os.path.basename(argv[0]) == "time" and "-o" in argv:
        argv = argv[argv.index("-o") + 2:]
    name = os.path.basename(argv[0])
    sub = next((a for a in argv[1:] if not a.startswith("-") and "/" not in a), "")
    return f"{name} {sub}".rstrip()


def _note(log, text):
    with open(log, "w") as f:
        f.write(text + "\n")


_SPAWN_RESET = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE}


def spawn(argv, log, env=None):
    """Start argv with stdin=/dev/null and stdout+stderr appended to `log`. Returns (pid, pidfd)."""
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    pid = os.posix_spawn(argv[0], argv, env if env is not None else os.environ,
                         file_actions=actions, setsigdef=_SPAWN_RESET)
    return pid, os.pidfd_open(pid)


def wait_pidfd(pidfd, timeout):
    """True when the process behind pidfd has exited (it need not be our child)."""
    p = select.poll()
    p.register(pidfd, select.POLLIN)
    return bool(p.poll(max(0, int(timeout * 1000))))


def reap(pid):
    """wait4 a child that has exited; returns (rc, maxrss_kb), rc negative for a signal."""
    rc, maxrss, _ = reap_usage(pid)
    return rc, maxrss


def reap_usage(pid):
    """reap, and the CPU time (user + system seconds) of the child and the descendants it reaped."""
    _, status, ru = os.wait4(pid, 0)
    return os.waitstatus_to_exitcode(status), ru.ru_maxrss, ru.ru_utime + ru.ru_stime


def kill_and_reap(pid, pidfd):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    wait_pidfd(pidfd, 5)
    try:
        return reap(pid)
    except ChildProcessError:
        return None, 0


def run(argv, log, timeout=30.0, env=None):
    """Run argv to completion; wall time from just before spawn to just after it was reaped."""
    t0 = time.perf_counter()
    try:
        pid, pidfd = spawn(argv, log, env)
    except OSError as e:  # binary missing or not executable: a failure like any other, with its reason
        _note(log, f"cannot execute {argv[0]}: {e.strerror}")
        return Result(argv, 127, time.perf_counter() - t0, 0, log)
    try:
        if not wait_pidfd(pidfd, timeout):
            rc, rss = kill_and_reap(pid, pidfd)
            return Result(argv, rc, time.perf_counter() - t0, rss, log, timed_out=True)
        rc, rss, cpu = reap_usage(pid)
        return Result(argv, rc, time.perf_counter() - t0, rss, log, cpu_secs=cpu)
    finally:
        os.close(pidfd)


def run_many(argvs_logs, timeout=120.0):
    """Start all commands at once; returns (wall seconds until the last exited, [Result])."""
    t0 = time.perf_counter()
    procs = []
    try:
        failed = []
        for argv, log in argvs_logs:
            try:
                procs.append((argv, log) + spawn(argv, log))
            except OSError as e:
                _note(log, f"cannot execute {argv[0]}: {e.strerror}")
                failed.append(Result(argv, 127, 0.0, 0, log))
        if failed:  # nothing is measured when one of the batch cannot even start
            for argv, log, pid, pidfd in procs:
                kill_and_reap(pid, pidfd)
            return 0.0, failed + [Result(a, 127, 0.0, 0, l) for a, l, _, _ in procs]
        pending = {pidfd: i for i, (_, _, _, pidfd) in enumerate(procs)}
        results = [None] * len(procs)
        poller = select.poll()
        for fd in pending:
            poller.register(fd, select.POLLIN)
        deadline = t0 + timeout
        while pending:
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            for fd, _ in poller.poll(int(left * 1000) + 1):
                i = pending.pop(fd)
                poller.unregister(fd)
                argv, log, pid, _ = procs[i]
                rc, rss, cpu = reap_usage(pid)
                results[i] = Result(argv, rc, time.perf_counter() - t0, rss, log, cpu_secs=cpu)
        wall = time.perf_counter() - t0
        for fd, i in pending.items():
            argv, log, pid, _ = procs[i]
            rc, rss = kill_and_reap(pid, fd)
            results[i] = Result(argv, rc, wall, rss, log, timed_out=True)
        return wall, results
    finally:
        for _, _, _, pidfd in procs:
            os.close(pidfd)


def sweep_zombies():
    """Reap orphans re-parented to us (we are a subreaper) that nobody waits for. Call only when no
    measured process is pending, or it could steal their exit status."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def children_of(ppid):
    """PIDs whose parent is ppid (our own descendants that were re-parented to us)."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if int(fields[1]) == ppid:
            out.append(int(name))
    return out


def kill_own_children():
    """SIGKILL and reap every remaining child of this process: all of them were started by the harness
    (directly, or by a runtime we ran and re-parented to us as subreaper)."""
    killed = []
    for pid in children_of(os.getpid()):
        try:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 5
    for pid in killed:
        while time.monotonic() < deadline:
            try:
                got, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                break
            if got:
                break
            time.sleep(0.01)
    sweep_zombies()
    return killed
