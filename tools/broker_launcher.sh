#!/bin/sh
# macvtap link broker launcher (installed as dist/link-broker by tools/build.ts; its
# files are in the broker/ folder beside it).
#
# The device plugin daemon runs this as its one allowed child process. It runs
# the capability host in stream mode on broker.wasm (the shared nlmsg-codec),
# the only process of the daemon that may touch netlink, under:
#   --allow-read   the broker/ folder only (the host reads broker.wasm)
#   --allow-ffi    the absolute libc path, written in by tools/build.ts
# and nothing else: no env, no run, no net. Requests arrive on stdin, answers and
# link events leave on stdout (daemon/host/broker_protocol.ts).

fail() {
  echo "link broker launcher: $1" >&2
  exit 1
}

case $0 in
  */*) self=$0 ;;
  *) self=$(command -v -- "$0") || fail "cannot find the launcher $0" ;;
esac
if [ -L "$self" ]; then self=$(readlink -f -- "$self") || fail "cannot resolve the launcher path $0"; fi
dir=${self%/*}/broker

libc=@LIBC_PATH@
[ -e "$libc" ] || fail "libc not found at $libc (this build is for another architecture or distribution)"

exec env -i \
  DENO_DIR="${MACVTAP_DENO_DIR:-/var/cache/macvtap-cni}" \
  DENO_NO_UPDATE_CHECK=1 \
  DENO_NO_PACKAGE_JSON=1 \
  NO_COLOR=1 \
  "$dir/deno" run --quiet --no-config --no-lock --no-npm --no-remote --no-prompt \
  --allow-read="$dir" \
  --allow-ffi="$libc" \
  "$dir/macvtap-host.js" "$dir/broker.wasm" "$libc" --mode=stream
