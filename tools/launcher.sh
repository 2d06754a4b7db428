#!/bin/sh
# macvtap CNI plugin launcher (installed as dist/cni/macvtap by tools/build.ts).
#
# Runs the capability host (macvtap-host.js) on the plugin module (macvtap.wasm)
# with the deno binary that sits beside this script, under the narrowest Deno
# permissions:
#   --allow-read   this folder only (the host reads macvtap.wasm)
#   --allow-env    the CNI_* variables and PATH (PATH is handed on to IPAM plugins)
#   --allow-ffi    the absolute libc path of this machine's architecture
#   --allow-run    coreutils timeout only (it runs, and kills, the IPAM plugin)
# Deno gets a clean environment: the CNI_* variables that are set, PATH, and
# the variables that keep it from looking for config, lock or package.json
# files and from checking for updates, and a cache folder of its own.
#
# Copying every file of this folder into a CNI bin dir installs the plugin; it
# runs from any cwd. Optional: MACVTAP_IPAM_TIMEOUT_MS (default 30000), MACVTAP_DENO_DIR.

fail() {
  printf '{"cniVersion":"1.1.0","code":999,"msg":"macvtap launcher failed","details":"%s"}\n' "$1"
  exit 1
}

# Every exec here costs ~2 ms of the plugin's start, so the folder is found
# without readlink unless the launcher is reached through a symlink, and the libc
# path is written in by tools/build.ts (the deno beside it fixes the architecture).
case $0 in
  */*) self=$0 ;;
  *) self=$(command -v -- "$0") || fail "cannot find the launcher $0" ;;
esac
if [ -L "$self" ]; then self=$(readlink -f -- "$self") || fail "cannot resolve the launcher path $0"; fi
dir=${self%/*}

libc=@LIBC_PATH@
[ -e "$libc" ] || fail "libc not found at $libc (this build is for another architecture or distribution)"

timeout_program=/usr/bin/timeout
[ -x "$timeout_program" ] || timeout_program=$(command -v timeout) || fail "coreutils timeout not found"

ipam_timeout=
# Positive whole milliseconds only: 0 would reach coreutils timeout as "no limit".
case ${MACVTAP_IPAM_TIMEOUT_MS-} in
  '' | *[!0-9]* | 0*) ;;
  *) ipam_timeout=--ipam-timeout-ms=$MACVTAP_IPAM_TIMEOUT_MS ;;
esac

# DENO_DIR holds Deno's dependency-analysis and V8 code caches for the host script: with them a
# start is ~5 ms faster (measured). It is created on first use; if it cannot be (read-only /var),
# Deno runs without caches. MACVTAP_DENO_DIR moves it (a path below /dev/null: never write).
exec env -i \
  ${CNI_COMMAND+"CNI_COMMAND=$CNI_COMMAND"} \
  ${CNI_CONTAINERID+"CNI_CONTAINERID=$CNI_CONTAINERID"} \
  ${CNI_NETNS+"CNI_NETNS=$CNI_NETNS"} \
  ${CNI_IFNAME+"CNI_IFNAME=$CNI_IFNAME"} \
  ${CNI_ARGS+"CNI_ARGS=$CNI_ARGS"} \
  ${CNI_PATH+"CNI_PATH=$CNI_PATH"} \
  ${PATH+"PATH=$PATH"} \
  DENO_DIR="${MACVTAP_DENO_DIR:-/var/cache/macvtap-cni}" \
  DENO_NO_UPDATE_CHECK=1 \
  DENO_NO_PACKAGE_JSON=1 \
  NO_COLOR=1 \
  "$dir/deno" run --quiet --no-config --no-lock --no-npm --no-remote --no-prompt \
  --allow-read="$dir" \
  --allow-env=CNI_COMMAND,CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_ARGS,CNI_PATH,PATH \
  --allow-ffi="$libc" \
  --allow-run="$timeout_program" \
  "$dir/macvtap-host.js" "$dir/macvtap.wasm" "$libc" --timeout-program="$timeout_program" $ipam_timeout -- "$@"
