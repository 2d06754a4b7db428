// Memory the CNI module can still get. The native host caps linear memory
// (tools/build.ts CNI_MEMORY_LIMIT_MIB) and the CNI's stub runtime never frees,
// so running out ends the run as a trap, and a trap after ADD's attach would
// leave the link in the pod. The steps that allocate in proportion to something
// the module does not control (an IPAM plugin's output, the Result) ask here
// first and fail as an error instead, which the undo stack can roll back.

import { Runtime } from "shared/runtime";

/**
 * Kept free by every reservation for what comes after it: a rollback (netlink
 * requests, error text) or the small allocations between two reservations.
 */
export const ROLLBACK_RESERVE_BYTES: i64 = 4 << 20;

/** Linear memory bytes the module has used so far (the stub runtime's bump pointer). */
export function usedMemory(): i64 {
  const probe = heap.alloc(0);
  heap.free(probe); // the newest block: the stub runtime takes it back
  return <i64> probe;
}

/**
 * True when `bytes` more (plus ROLLBACK_RESERVE_BYTES) can be allocated: the
 * memory is there, or grows now (memory.grow answers -1 past the host's cap).
 * Runtimes that free (the test modules, the broker) always answer true.
 */
export function reserveMemory(bytes: i64): bool {
  if (ASC_RUNTIME != Runtime.Stub) return true;
  const wanted = bytes + ROLLBACK_RESERVE_BYTES;
  const available = (<i64> memory.size() << 16) - usedMemory();
  if (wanted <= available) return true;
  const pages = (wanted - available + 0xffff) >> 16;
  if (pages > <i64> i32.MAX_VALUE) return false;
  return memory.grow(<i32> pages) >= 0;
}
