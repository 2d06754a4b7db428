/**
 * When this daemon last created each temp link, so the stale link collector never deletes a link that
 * Allocate just made for a pod the kubelet has not reported yet.
 *
 * @module
 */

/** Temp link name → time of the Allocate that created it. */
export class AllocationLedger {
  #createdAt = new Map<string, number>();

  constructor(private now: () => number = Date.now) {}

  /** Notes that `tempLink` was created now. */
  record(tempLink: string): void {
    this.#createdAt.set(tempLink, this.now());
  }

  /** Forgets a link deleted by the daemon. */
  forget(tempLink: string): void {
    this.#createdAt.delete(tempLink);
  }

  /** True when `tempLink` was created less than `graceMs` ago. */
  isRecent(tempLink: string, graceMs: number): boolean {
    const at = this.#createdAt.get(tempLink);
    return at !== undefined && this.now() - at < graceMs;
  }

  /** Drops entries older than `graceMs` (they no longer protect anything). */
  prune(graceMs: number): void {
    for (const [name, at] of this.#createdAt) if (this.now() - at >= graceMs) this.#createdAt.delete(name);
  }
}
