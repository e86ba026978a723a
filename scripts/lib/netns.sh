# Hosts of our own on one machine: network namespaces joined by a bridge in the root namespace.
# Sourced by scripts/multihost (issue 17). Needs root and iproute2's `ip netns`.
#
#   netns_up PREFIX BRIDGE_CIDR NAME=CIDR ...   e.g. netns_up tsmh- 10.77.0.1/24 db=10.77.0.10/24 a=10.77.0.11/24
#       a bridge PREFIXbr (BRIDGE_CIDR, the root namespace's address: clients run there) and, per NAME,
#       a namespace PREFIXNAME whose veth PREFIXNAME-n (CIDR) is plugged into the bridge through
#       PREFIXNAME-h; loopback up in each namespace.
#   netns_down PREFIX
#       kills every process left in a PREFIX* namespace (SIGKILL), deletes those namespaces, the
#       bridge and every PREFIX* link. Idempotent: also what a crashed run left behind.
#   netns_check
#       exit 0 when this shell can create namespaces (root, `ip netns`), else 77 with the reason.
set -euo pipefail

netns_check() {
  if [ "$(id -u)" != 0 ]; then echo "skip: needs root and ip netns (not root)" >&2; return 77; fi
  if ! command -v ip >/dev/null 2>&1 || ! ip netns list >/dev/null 2>&1; then
    echo "skip: needs root and ip netns (no working 'ip netns')" >&2; return 77
  fi
  local probe=tsmh-probe-$$
  if ! ip netns add "$probe" 2>/dev/null; then echo "skip: needs root and ip netns (cannot create a namespace)" >&2; return 77; fi
  ip netns del "$probe"
}

netns_down() {
  local prefix=$1 ns pid link
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$prefix" || true); do
    for pid in $(ip netns pids "$ns" 2>/dev/null || true); do kill -9 "$pid" 2>/dev/null || true; done
    # A killed process leaves the namespace once it is reaped; wait for it a little.
    for _ in $(seq 1 50); do [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break; sleep 0.1; done
    ip netns del "$ns" 2>/dev/null || true
  done
  for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep "^$prefix" || true); do
    ip link del "$link" 2>/dev/null || true
  done
}

netns_up() {
  local prefix=$1 bridge_cidr=$2; shift 2
  local br=${prefix}br spec name cidr
  ip link add "$br" type bridge
  ip addr add "$bridge_cidr" dev "$br"
  ip link set "$br" up
  for spec in "$@"; do
    name=${spec%%=*} cidr=${spec#*=}
    ip netns add "$prefix$name"
    ip link add "$prefix$name-h" type veth peer name "$prefix$name-n"
    ip link set "$prefix$name-n" netns "$prefix$name"
    ip link set "$prefix$name-h" master "$br"
    ip link set "$prefix$name-h" up
    ip -n "$prefix$name" addr add "$cidr" dev "$prefix$name-n"
    ip -n "$prefix$name" link set "$prefix$name-n" up
    ip -n "$prefix$name" link set lo up
    # The bridge is the way to every other host (there is no other route in a fresh namespace).
    ip -n "$prefix$name" route add default via "${bridge_cidr%/*}" 2>/dev/null || true
  done
}
