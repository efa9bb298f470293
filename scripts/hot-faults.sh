#!/bin/sh
# Appends to linker/hot-symbols.txt the functions and variables cove's hot commands fault on outside the ordered
# region: code added or renamed since the list was made (scripts/hot-symbols.sh, which regenerates the whole
# list, needs valgrind and reorders everything). perf traces every page fault of run, create, state, start,
# exec, kill, delete, --version, netns add/delete and unshare on a copy in a read-only bind mount (no re-exec, so
# perf names the symbols); a text fault beyond the ordered region names the function that faulted, a write
# fault in .data/.bss is mapped to its variable through nm. Relink (`make build`) and run it again until it
# appends nothing: a symbol moved in can uncover a neighbour that fault-around used to map along with it.
#
# Usage (root; perf, python3, busybox-static, runc for `runc spec`): scripts/hot-faults.sh [BINARY]
set -eu
[ "$(id -u)" = 0 ] || { echo "hot-faults: needs root" >&2; exit 1; }
command -v perf >/dev/null || { echo "hot-faults: needs perf (linux-perf)" >&2; exit 1; }
. "$(dirname "$0")/ro-copy.sh"
ro_copy hotfaults "${1:-}" strip
mkdir -p "$work/trace"
cat > "$work/run.sh" <<INNER
set +e
$RO_MOUNTS
C=$work/ro/cove; R="--root $work/state"; B="--bundle $work/bundle"; ns=cove-hotfaults-\$\$
T() { out=\$1; shift; perf trace -F all --no-syscalls -o $work/trace/\$out.txt -- "\$@" >/dev/null 2>&1; }
for i in 1 2 3; do \$C \$R run \$B warm\$i >/dev/null 2>&1; done
T run \$C \$R run \$B r
T create \$C \$R create --pid-file $work/pid \$B c
T state \$C \$R state c
T start \$C \$R start c
sleep 0.1
T delete \$C \$R delete c
\$C \$R create \$B x >/dev/null 2>&1
T exec \$C \$R exec x /bin/true
\$C \$R run -d \$B k >/dev/null 2>&1
T kill \$C \$R kill k KILL
sleep 0.1
T delete-killed \$C \$R delete k
T version \$C --version
T netns-add \$C netns add \$ns
T netns-delete \$C netns delete \$ns
T unshare \$C unshare --uts --ipc --net --pid --fork --mount-proc -- /bin/true
for id in r c x k; do \$C \$R delete -f \$id >/dev/null 2>&1; done
[ ! -e /run/netns/\$ns ] || \$C netns delete \$ns
INNER
unshare -m --propagation private sh "$work/run.sh"
python3 - "$work/ro/cove" "$work/trace" "$repo/linker/hot-symbols.txt" <<'PY'
import bisect, glob, re, subprocess, sys
binary, traces, listfile = sys.argv[1:4]
listed = open(listfile).read().split()
known = set(listed)

def run(*argv):
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout

segments = []  # (file offset, vaddr, file size, mem size, writable, executable)
for line in run("readelf", "-lW", binary).splitlines():
    f = line.split()
    if f and f[0] == "LOAD":
        flags = "".join(f[6:-1])
        segments.append((int(f[1], 16), int(f[2], 16), int(f[4], 16), int(f[5], 16), "W" in flags, "E" in flags))
# nm and nm -C list the same symbols in the same order: perf names C++ functions demangled.
mangled = [l.split(None, 3) for l in run("nm", "-n", "-S", binary).splitlines()]
demangled = [l.split(None, 3) for l in run("nm", "-n", "-S", "-C", binary).splitlines()]
symbols, by_demangled = [], {}
for m, d in zip(mangled, demangled):
    if len(m) == 4 and len(d) == 4:
        symbols.append((int(m[0], 16), int(m[1], 16), m[2], m[3]))
        by_demangled.setdefault(d[3].split("(")[0], m[3])
addresses = [s[0] for s in symbols]

def symbol_at(vaddr):
    i = bisect.bisect_right(addresses, vaddr) - 1
    if i >= 0 and vaddr < symbols[i][0] + max(symbols[i][1], 1):
        return symbols[i][3]
    return None

def vaddr(target, value):
    if target == "//anon":
        return value
    for off, va, fsz, _, _, _ in segments:
        if off <= value < off + fsz:
            return value - off + va
    return None

text = [s for s in segments if s[5]][0]
rw = [s for s in segments if s[4]]
rw_lo, rw_hi = min(s[1] for s in rw), max(s[1] + s[3] for s in rw)
in_text = sorted(a for a, _, kind, name in symbols if name in known and kind in "tTwW" and text[1] <= a < text[1] + text[3])
ordered_end = in_text[int(len(in_text) * 0.97)] if in_text else text[1]
fault = re.compile(r"minfault \[([^\]]+?)(?:\+0x[0-9a-f]+)?\] => (//anon|\S+/cove)@0x([0-9a-f]+) \(")
new, text_faults, data_faults = [], 0, 0
for path in sorted(glob.glob(traces + "/*.txt")):
    for line in open(path):
        m = fault.search(line)
        if not m:
            continue
        at = vaddr(m.group(2), int(m.group(3), 16))
        if at is None:
            continue
        name = None
        if text[1] <= at < text[1] + text[3]:
            text_faults += 1
            if at > ordered_end:
                name = m.group(1) if m.group(1).startswith(("$", "_")) or "::" not in m.group(1) else by_demangled.get(m.group(1).split("(")[0])
                if name and name.startswith("0x"):
                    name = symbol_at(at)
        elif rw_lo <= at < rw_hi:
            data_faults += 1
            name = symbol_at(at)
        if name and name not in known and name not in new:
            new.append(name)
with open(listfile, "a") as f:
    for name in new:
        f.write(name + "\n")
print("hot-faults: %d text faults (ordered region ends at %#x), %d data faults; appended %d symbol(s) to %s"
      % (text_faults, ordered_end, data_faults, len(new), listfile))
for name in new:
    print("  " + name)
PY
