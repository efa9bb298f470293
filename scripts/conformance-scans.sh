#!/bin/sh
# Counts, per command, the times the Swift runtime scans every conformance record in the binary: the first
# use of some generic standard-library code for a type (`joined(separator:)` on an array, interpolating an
# `any Error`, ArgumentParser's reflection) looks a conformance up that way, ~0.1-0.2 ms each. The commands
# an engine runs per container (create and its init, start, state, kill, delete, exec, run) should show 0.
#
# Usage (root; needs gdb, busybox-static, runc for `runc spec`): scripts/conformance-scans.sh [--check] [BINARY]
# --check (make test runs it on the release binary): exits 1 when any command but ps, events, update, features and
# ns list (ArgumentParser's, not per container) scans; without root or gdb it says so and exits 0.
# Each command runs under gdb with a breakpoint on the scan, following every forked process (the container's
# init too); the binary sits on a read-only bind mount in a private mount namespace, so cove's protective
# re-exec is skipped. Prints the count and, for each scan, the first frame in Cove's or a package's sources.
set -eu
if [ "${1:-}" = --check ]; then
    shift
    [ "$(id -u)" = 0 ] || { echo "conformance-scans --check: skipped, needs root"; exit 0; }
    command -v gdb >/dev/null || { echo "conformance-scans --check: skipped, needs gdb (make setup installs it)"; exit 0; }
    out=$("$0" "$@")
    printf '%s\n' "$out"
    # "N  command args" lines; the commands an engine runs per container must show 0.
    bad=$(printf '%s\n' "$out" | awk '/^[0-9]+  / && $1 > 0 && $0 !~ / (ps|events|update|features) / && $0 !~ / ns list$/ && $0 !~ /features$/')
    [ -z "$bad" ] && { echo "conformance-scans --check: no hot command scans the conformance records"; exit 0; }
    echo "conformance-scans --check: these commands make the Swift runtime scan every conformance record (~0.1-0.2 ms each; DEVELOPERS.md):" >&2
    printf '%s\n' "$bad" >&2
    exit 1
fi
[ "$(id -u)" = 0 ] || { echo "conformance-scans: needs root" >&2; exit 1; }
command -v gdb >/dev/null || { echo "conformance-scans: apt-get install gdb" >&2; exit 1; }
. "$(dirname "$0")/ro-copy.sh"
ro_copy scans "${1:-}"
mkdir -p "$work/sleeper"
sed "s|\"/bin/true\"|\"/bin/sleep\", \"3600\"|; s|\"path\": \"rootfs\"|\"path\": \"$work/bundle/rootfs\"|" \
    "$work/bundle/config.json" > "$work/sleeper/config.json"
cat > "$work/gdb" <<'GDB'
set pagination off
set breakpoint pending on
set detach-on-fork off
set schedule-multiple on
set print inferior-events off
break swift_conformsToProtocolMaybeInstantiateSuperclasses
commands
silent
bt 40
continue
end
run
GDB
cat > "$work/run.sh" <<INNER
set +e
$RO_MOUNTS
C=$work/ro/cove; R="--root $work/state"; ns=cove-scan-\$\$; dev=cscan\$\$
scan() {
    timeout 60 gdb -q -batch -x $work/gdb --args "\$@" > $work/out 2>&1 </dev/null
    echo "\$(grep -c '^#1 ' $work/out)  \$(echo "\${*:2}" | sed "s|$work|W|g")"
    awk '/^#1 /{n++} /Sources\\// && !seen[n]++ {sub(/ \\(.*\\) at /, " at "); sub(/.* in /, ""); print}' $work/out |
        sort | uniq -c | sed 's/^/   /'
}
scan \$C \$R create --bundle $work/bundle c1; \$C \$R delete -f c1 2>/dev/null
scan \$C \$R run --bundle $work/bundle r1; \$C \$R delete -f r1 2>/dev/null
\$C \$R create --bundle $work/sleeper s1 >/dev/null
scan \$C \$R state s1
scan \$C \$R list
scan \$C \$R start s1
scan \$C \$R exec s1 /bin/true
scan \$C \$R pause s1
scan \$C \$R resume s1
scan \$C \$R ps s1
scan \$C \$R events --stats s1
scan \$C \$R update --pids-limit 99 s1
scan \$C \$R kill s1 KILL
sleep 0.3
scan \$C \$R delete s1
\$C \$R delete -f s1 2>/dev/null
scan \$C --version
scan \$C features
scan \$C netns add \$ns
scan \$C netns list
scan \$C netns exec \$ns -- /bin/true
scan \$C link add \${dev}a --type veth --peer \${dev}b
scan \$C link list
scan \$C addr add 10.254.254.1/24 --dev \${dev}a
scan \$C addr list
scan \$C route list
scan \$C link delete \${dev}a
scan \$C netns delete \$ns
scan \$C unshare --uts --ipc --net --pid --fork --mount-proc -- /bin/true
scan \$C enter -t \$\$ --uts -- /bin/true
scan \$C ns list
true
INNER
unshare -m --propagation private bash "$work/run.sh"
