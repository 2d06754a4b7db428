// The soak benchmark's own code (bench/soak_bench.ts) for 20 cycles, so CI exercises it: Allocate through
// the real daemon and link broker, ADD and DEL with host-local, pod netns per cycle. Every cycle must
// succeed and nothing may be left: no macvtap on the node, no link in a pod, no lease, no /dev/tapN; one
// broker process all along. (Memory is reported by the bench, not asserted: it is not a pass/fail figure.)
import assert from "node:assert/strict";
import { runSoak } from "../bench/soak_bench.ts";
import { rootTest } from "../testing/root_gate.ts";

const CYCLES = 20;

rootTest(`soak smoke: ${CYCLES} Allocate → ADD → DEL cycles leave no link, lease or /dev/tapN`, async () => {
  const result = await runSoak(CYCLES);
  assert.equal(result.failedCycles, 0, result.failures.join("\n"));
  assert.equal(result.add.n, CYCLES);
  assert.deepEqual(result.leaks, { nodeMacvtaps: 0, podLinks: 0, leaseFiles: 0, devTaps: 0 });
  assert.equal(result.brokerPids, 1, "the broker never died");
}, { sanitizers: false });
