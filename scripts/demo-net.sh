#!/bin/sh
# The seed's network section with cove alone (no `ip`): two named network namespaces, lo up and a ping
# inside, a veth pair with one end in each, addresses, ping across both ways, then everything deleted.
# Usage: scripts/demo-net.sh [PATH-TO-COVE]   (needs root and /bin/busybox). Leaves nothing behind.
set -eu
COVE=$(realpath "${1:-.build/release/cove}")
[ "$(id -u)" = 0 ] || { echo "demo-net: run as root" >&2; exit 1; }
[ -x /bin/busybox ] || { echo "demo-net: /bin/busybox missing (apt-get install busybox-static)" >&2; exit 1; }

# Unique names so the demo never collides with anything on the host.
A=demo-red-$$
B=demo-blue-$$
VA=dr$$
VB=db$$

cleanup() {
    # Deleting the namespaces also destroys the veth ends inside them; a veth still on the host goes too.
    for ns in "$A" "$B"; do [ -e "/run/netns/$ns" ] && "$COVE" netns delete "$ns"; done
    for dev in "$VA" "$VB"; do "$COVE" link show "$dev" >/dev/null 2>&1 && "$COVE" link delete "$dev"; done
    return 0
}
trap cleanup EXIT INT TERM

step() { printf '\n\033[1m-- %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
PING="/bin/busybox ping -c1 -W2"

step "Two named network namespaces (kept in /run/netns, as iproute2 keeps them)"
run "$COVE" netns add "$A"
run "$COVE" netns add "$B"
run "$COVE" netns list

step "A new namespace has only lo, and it is down"
run "$COVE" link list -n "$A"

step "lo up, then ping 127.0.0.1 inside"
run "$COVE" link set -n "$A" lo --up
run "$COVE" link set -n "$B" lo --up
run "$COVE" netns exec "$A" -- $PING 127.0.0.1

step "A veth pair on the host, one end moved into each namespace"
run "$COVE" link add "$VA" --type veth --peer "$VB"
run "$COVE" link set "$VA" --netns "$A"
run "$COVE" link set "$VB" --netns "$B"

step "Addresses, links up"
run "$COVE" addr add 10.1.1.1/24 --dev "$VA" -n "$A"
run "$COVE" addr add 10.1.1.2/24 --dev "$VB" -n "$B"
run "$COVE" link set -n "$A" "$VA" --up
run "$COVE" link set -n "$B" "$VB" --up
run "$COVE" addr list -n "$A" --dev "$VA"
run "$COVE" route list -n "$A"

step "Ping across, both ways"
run "$COVE" netns exec "$A" -- $PING 10.1.1.2
run "$COVE" netns exec "$B" -- $PING 10.1.1.1

step "Delete: the namespaces go, and the veth pair with them"
run "$COVE" netns delete "$A" "$B"
trap - EXIT INT TERM
left=""
for ns in "$A" "$B"; do [ -e "/run/netns/$ns" ] && left="$left /run/netns/$ns"; done
for dev in "$VA" "$VB"; do "$COVE" link show "$dev" >/dev/null 2>&1 && left="$left $dev"; done
if [ -n "$left" ]; then echo "demo-net: left behind:$left" >&2; cleanup; exit 1; fi
echo "nothing left: no /run/netns/$A or /run/netns/$B, no $VA or $VB on the host"
