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
# files, from checking for updates, and from writing a cache.
#
# Copying every file of this folder into a CNI bin dir installs the plugin; it
# runs from any cwd. Optional: MACVTAP_IPAM_TIMEOUT_MS (default 30000).

fail() {
  printf '{"cniVersion":"1.1.0","code":999,"msg":"macvtap launcher failed","details":"%s"}\n' "$1"
  exit 1
}

self=$(readlink -f -- "$0") || fail "cannot resolve the launcher path $0"
dir=${self%/*}

case $(uname -m) in
  x86_64) libc=/lib/x86_64-linux-gnu/libc.so.6 ;;
  aarch64 | arm64) libc=/lib/aarch64-linux-gnu/libc.so.6 ;;
  *) fail "unsupported architecture $(uname -m)" ;;
esac

timeout_program=/usr/bin/timeout
[ -x "$timeout_program" ] || timeout_program=$(command -v timeout) || fail "coreutils timeout not found"

ipam_timeout=
case ${MACVTAP_IPAM_TIMEOUT_MS-} in
  '' | *[!0-9]*) ;;
  *) ipam_timeout=--ipam-timeout-ms=$MACVTAP_IPAM_TIMEOUT_MS ;;
esac

# DENO_DIR is a path that can never be created (below /dev/null): Deno then writes no cache
# anywhere on the node (without it, root's would land in /root/.cache/deno). Measured: the
# V8 code cache saves nothing noticeable for a 30 KB host script.
exec env -i \
  ${CNI_COMMAND+"CNI_COMMAND=$CNI_COMMAND"} \
  ${CNI_CONTAINERID+"CNI_CONTAINERID=$CNI_CONTAINERID"} \
  ${CNI_NETNS+"CNI_NETNS=$CNI_NETNS"} \
  ${CNI_IFNAME+"CNI_IFNAME=$CNI_IFNAME"} \
  ${CNI_ARGS+"CNI_ARGS=$CNI_ARGS"} \
  ${CNI_PATH+"CNI_PATH=$CNI_PATH"} \
  ${PATH+"PATH=$PATH"} \
  DENO_DIR=/dev/null/macvtap-cni \
  DENO_NO_UPDATE_CHECK=1 \
  DENO_NO_PACKAGE_JSON=1 \
  NO_COLOR=1 \
  "$dir/deno" run --quiet --no-config --no-lock --no-npm --no-remote --no-prompt \
  --allow-read="$dir" \
  --allow-env=CNI_COMMAND,CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_ARGS,CNI_PATH,PATH \
  --allow-ffi="$libc" \
  --allow-run="$timeout_program" \
  "$dir/macvtap-host.js" "$dir/macvtap.wasm" "$libc" --timeout-program="$timeout_program" $ipam_timeout -- "$@"
