#!/bin/sh
# Replays the seed walkthrough (../shared/seed/) with cove alone: UTS, PID, mount, IPC and user namespaces,
# then the network section (scripts/demo-net.sh). Needs root. Leaves nothing behind.
set -eu
COVE=$(realpath "${1:-.build/release/cove}")
cd "$(dirname "$0")/.."
WORK=${WORK:-work}
BUNDLE=$WORK/bundle
ROOTFS=$BUNDLE/rootfs
[ "$(id -u)" = 0 ] || { echo "demo: run as root (namespaces, mounts)" >&2; exit 1; }
[ -x "$ROOTFS/bin/busybox" ] || ./scripts/mkrootfs.sh "$ROOTFS"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "Namespaces of this shell (ls -l /proc/\$\$/ns)"
run "$COVE" ns show

step "UTS: a hostname set inside a new UTS namespace stays inside"
run "$COVE" unshare --fork --uts -- /bin/sh -c 'hostname test; echo "inside: $(hostname)"'
echo "outside: $(hostname)"

step "PID: the first process of a new PID namespace is PID 1, and a fresh /proc shows only the inside"
run "$COVE" unshare --fork --pid --mount-proc -- /bin/sh -c 'echo "my pid: $$"; ps -o pid,comm'

step "Mount: a tmpfs mounted in a new mount namespace is invisible outside"
mkdir -p "$WORK/mnt"
run "$COVE" unshare --mount -- /bin/sh -c "mount -t tmpfs demo $WORK/mnt && grep -c ' $(realpath $WORK/mnt) ' /proc/self/mountinfo | sed 's/^/mounts inside: /'"
echo "mounts outside: $(grep -c " $(realpath $WORK/mnt) " /proc/self/mountinfo || true)"

step "IPC: a message queue made on the host is not visible in a new IPC namespace"
qid=$(ipcmk -Q | awk -F': ' '{print $2}')
echo "host queue id: $qid"
run "$COVE" unshare --ipc -- ipcs -q
ipcrm -q "$qid"

step "User: without a map the inside sees the overflow ids; with --map-root-user it is root"
run "$COVE" unshare --user -- id
run "$COVE" unshare --user --map-root-user -- /bin/sh -c 'id; cat /proc/self/uid_map'

step "Busybox root filesystem: all namespaces at once, chrooted into $ROOTFS"
run "$COVE" unshare --fork --pid --mount-proc --uts --ipc --net --hostname box --root "$ROOTFS" -- /bin/sh -c 'hostname; ps; ip link'

step "Cove's main job: an OCI container from the busybox bundle in $BUNDLE"
rm -f "$BUNDLE/config.json"
run "$COVE" spec --bundle "$BUNDLE"
# The default spec runs an interactive sh on a terminal; the demo runs a script on plain stdio instead.
jq '.process.terminal = false | .hostname = "busybox" |
    .process.args = ["sh", "-c", "echo hello from $(hostname), pid $$; id; ps; ls /"]' \
    "$BUNDLE/config.json" > "$BUNDLE/config.json.new" && mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
STATE=$(mktemp -d /tmp/cove-demo-state.XXXXXX)
trap 'rm -rf "$STATE"' EXIT
run "$COVE" --root "$STATE" run --bundle "$BUNDLE" "demo-$$"
echo "containers left: $("$COVE" --root "$STATE" list --quiet | wc -l)"

if [ -x scripts/demo-net.sh ]; then
    step "Network namespaces (the seed's longest section)"
    ./scripts/demo-net.sh "$COVE"
fi
step "Done: nothing left behind"
