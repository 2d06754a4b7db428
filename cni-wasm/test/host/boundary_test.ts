// The host's boundary: every import handed a pointer or a length outside the module's memory ends the run
// as a trap (999, exit 1, stdout dropped) instead of the host reading or writing there, and names the
// host builds paths from are refused when they hold a NUL, a '/', '..' or are too long.
import assert from "node:assert/strict";
import { errorObject, runProbe } from "./_probe.ts";

/** Each import (or WASI function) and the argument the probe makes bad. */
const BAD_POINTERS: [string, RegExp][] = [
  ["netns_open", /^netns_open path: bytes 2147483632\.\.2147483648 lie outside/],
  ["netns_open_length", /^netns_open path: bytes \d+\.\.\d+ lie outside/],
  ["nl_send", /^nl_send buffer: /],
  ["nl_recv", /^nl_recv buffer: /],
  ["nl_port", /^nl_port result: /],
  ["tap_stat", /^tap_stat result: /],
  ["ipam_exec_type", /^ipam_exec type: /],
  ["ipam_exec_stdin", /^ipam_exec stdin: /],
  ["ipam_exec_status", /^ipam_exec status: /],
  ["ipam_output", /^ipam_output buffer: /],
  ["wait_readable", /^wait_readable handles: /],
  ["link_numa_node", /^link_numa_node name: /],
  ["bus_device_link", /^bus_device_link buffer: /],
  ["sysctl_set", /^sysctl_set key: /],
  ["fd_write", /^iovec: /],
  ["fd_read", /^iovec: /],
  ["clock_time_get", /^clock_time_get result: /],
  ["random_get", /^random_get buffer: /],
];

for (const [which, details] of BAD_POINTERS) {
  Deno.test(`bounds: ${which} with a (pointer, length) outside the module's memory is a trap`, async () => {
    const run = await runProbe(["bad-pointer", which], { stdin: '{"cniVersion":"1.0.0"}' });
    assert.equal(run.code, 1, run.stdout);
    assert.ok(!run.stdout.includes("survived") && !run.stdout.includes("half"), run.stdout);
    const error = errorObject(run);
    assert.deepEqual([error.code, error.msg, error.cniVersion], [999, "macvtap plugin trapped", "1.0.0"]);
    assert.match(error.details, details);
    assert.match(error.details, /lie outside the module's memory \(\d+ bytes\)$/);
  });
}

Deno.test("names with a NUL byte are refused with -EINVAL by every import that takes a name", async () => {
  const run = await runProbe(["nul-names"]);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(Object.fromEntries(run.values), {
    netns_open: "-22",
    link_numa_node: "-22",
    bus_device_link: "-22",
    ipam_exec: "-22",
    sysctl_set: "-22",
  });
});

Deno.test("interface names: over IFNAMSIZ, '/', ':', whitespace, '.', '..' and empty are -EINVAL", async () => {
  for (const bad of ["sixteen-bytes-xx", "../../../etc", "a/b", "a:b", "a b", "a\tb", ".", ".."]) {
    assert.equal((await runProbe(["numa", bad])).values.get("numa"), "-22", bad);
  }
  for (const good of ["lo", "fifteen-bytes-x"]) {
    assert.equal((await runProbe(["numa", good])).values.get("numa"), "-2", `${good}: valid, no NUMA node`);
  }
});
