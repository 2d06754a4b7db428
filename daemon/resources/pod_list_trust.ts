/**
 * When the kubelet's pod-resources List can be trusted to name every pod that still holds our devices.
 *
 * After the kubelet (re)starts, List answers from its active pods as it rebuilds them, and can miss pods
 * that still hold devices (and their temp links). Deleting on such a List strands those pods. So after a
 * kubelet (re)start — and at daemon start, when we cannot know how long ago the kubelet started — the
 * List is only trusted once it has stayed the same for the grace period. Later changes (pods coming and
 * going) do not pause it again; only the next kubelet start does.
 *
 * @module
 */
import { heldDeviceKeys, type HeldDevices } from "./held_devices.ts";

/** Tracks List stability since the last kubelet start. */
export class PodListTrust {
  #paused = true;
  #stableSince: number;
  #last: string | null = null;

  /** @param graceMs how long the List must stay unchanged after a kubelet start */
  constructor(private graceMs: number, private now: () => number = Date.now) {
    this.#stableSince = now();
  }

  /** True while the List is not trusted. */
  get paused(): boolean {
    return this.#paused;
  }

  /** The kubelet (re)started: distrust the List until it is stable again. */
  kubeletRestarted(): void {
    this.#paused = true;
    this.#last = null;
    this.#stableSince = this.now();
  }

  /**
   * Takes one List answer into account.
   *
   * @returns whether the List may be trusted now
   */
  observe(held: HeldDevices[]): boolean {
    const signature = JSON.stringify([...heldDeviceKeys(held)].sort());
    if (signature !== this.#last) {
      this.#last = signature;
      if (this.#paused) this.#stableSince = this.now();
    }
    if (this.#paused && this.now() - this.#stableSince >= this.graceMs) this.#paused = false;
    return !this.#paused;
  }
}
