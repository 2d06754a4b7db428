/**
 * The allocation checkpoint: every macvtap device this daemon handed out (resource, device ID, lower link,
 * mode, ifindex, when), in memory and on disk.
 *
 * Why: after a node reboot or a pod sandbox re-creation the kubelet starts the pod's containers again with
 * the DeviceSpec it cached from Allocate (`/dev/tap<ifindex>`) and never calls Allocate again, so the
 * daemon must re-create the temp link at that same ifindex (allocation_restorer.ts). It also tells the
 * stale link collector which links were allocated within its grace period, across daemon restarts.
 *
 * On disk it lives in a subdirectory of the kubelet's device-plugins directory: it survives reboots, the
 * sandbox may already write there, and a starting kubelet deletes files in that directory but never
 * directories (devicemanager `removeContents` / `CleanupPluginDirectory` skip them). Every change is on
 * disk (fdatasync, as the kubelet does for its own checkpoint) before Allocate answers, because the kubelet
 * checkpoints our answer right after; slot_files.ts keeps that cheap.
 *
 * @module
 */
import { MACVTAP_MODES, type MacvtapMode } from "../config.ts";
import { type Logger, silentLogger } from "../log.ts";
import { SlotFiles } from "./slot_files.ts";
import { tempLinkName } from "./temp_link_name.ts";

/** Base name of the checkpoint's slot files (`allocations.0.json`, `allocations.1.json`). */
export const CHECKPOINT_NAME = "allocations";

/** Name of the checkpoint's directory inside the device-plugins directory. */
export const CHECKPOINT_DIR_NAME = "macvtap.network.kubevirt.io.state";

/** One device handed out by Allocate. */
export interface AllocationRecord {
  /** Extended resource name, e.g. `macvtap.network.kubevirt.io/eth0`. */
  resourceName: string;
  deviceId: string;
  /** The lower link's name at Allocate. */
  lower: string;
  mode: MacvtapMode;
  /** The temp link's ifindex: the kubelet holds `/dev/tap<ifindex>`. */
  ifindex: number;
  /** When Allocate answered, ms since the epoch. */
  allocatedAtMs: number;
}

/** Allocation records by device ID, persisted when a directory is given. */
export class AllocationCheckpoint {
  #records = new Map<string, AllocationRecord>();
  #byTempLink = new Map<string, string>();
  #changes = 0;
  #written = 0;
  #writing: Promise<void> = Promise.resolve();

  private constructor(
    private slots: SlotFiles | null,
    private log: Logger,
    readonly now: () => number,
  ) {}

  /**
   * Opens the checkpoint kept in directory `dir` (null: memory only), reading what an earlier run wrote.
   * Unusable copies are logged; with none usable the daemon starts with no records.
   *
   * Requires `--allow-read` and `--allow-write` on `dir`.
   */
  static async open(
    dir: string | null,
    options: { log?: Logger; now?: () => number } = {},
  ): Promise<AllocationCheckpoint> {
    const slots = dir ? new SlotFiles(dir, CHECKPOINT_NAME) : null;
    const checkpoint = new AllocationCheckpoint(slots, options.log ?? silentLogger, options.now ?? Date.now);
    if (slots) await checkpoint.#load(slots);
    return checkpoint;
  }

  /** Where the checkpoint is kept, or null when only in memory. */
  get dir(): string | null {
    return this.slots?.dir ?? null;
  }

  /** The record of `deviceId`, if it was allocated. */
  get(deviceId: string): AllocationRecord | undefined {
    return this.#records.get(deviceId);
  }

  /** The record whose temp link is `name`, if any. */
  byTempLink(name: string): AllocationRecord | undefined {
    const deviceId = this.#byTempLink.get(name);
    return deviceId === undefined ? undefined : this.#records.get(deviceId);
  }

  /** Every record, oldest first. */
  all(): AllocationRecord[] {
    return [...this.#records.values()].sort((a, b) => a.allocatedAtMs - b.allocatedAtMs);
  }

  /** True when the temp link `name` was handed out less than `graceMs` ago. */
  isRecent(name: string, graceMs: number): boolean {
    const record = this.byTempLink(name);
    return record !== undefined && this.now() - record.allocatedAtMs < graceMs;
  }

  /** Adds or replaces records (stamped now) and waits until they are on disk. */
  record(records: Omit<AllocationRecord, "allocatedAtMs">[]): Promise<void> {
    const allocatedAtMs = this.now();
    for (const { resourceName, deviceId, lower, mode, ifindex } of records) {
      this.#set({ resourceName, deviceId, lower, mode, ifindex, allocatedAtMs });
    }
    return this.#persist();
  }

  /** Drops the records of these devices (no pod holds them any more) and waits until that is on disk. */
  forget(deviceIds: string[]): Promise<void> {
    const gone = deviceIds.filter((id) => this.#records.has(id));
    for (const id of gone) {
      this.#byTempLink.delete(tempLinkName(id));
      this.#records.delete(id);
    }
    return gone.length === 0 ? Promise.resolve() : this.#persist();
  }

  #set(record: AllocationRecord): void {
    this.#records.set(record.deviceId, record);
    this.#byTempLink.set(tempLinkName(record.deviceId), record.deviceId);
  }

  /** Writes the current records once every write before has finished; calls made meanwhile share a write. */
  #persist(): Promise<void> {
    const slots = this.slots;
    if (!slots) return Promise.resolve();
    const wanted = ++this.#changes;
    this.#writing = this.#writing.then(async () => {
      if (this.#written >= wanted) return;
      const version = this.#changes;
      try {
        await slots.write(this.all());
        this.#written = version;
      } catch (error) {
        // Allocate still succeeds: the pod runs; only a reboot before the next good write would strand it.
        this.log.error("cannot write the allocation checkpoint", { dir: slots.dir, error });
      }
    });
    return this.#writing;
  }

  async #load(slots: SlotFiles): Promise<void> {
    const { payload, problems } = await slots.load();
    for (const problem of problems) this.log.warn("allocation checkpoint copy unusable", { problem });
    if (payload === null) return;
    try {
      for (const record of parseRecords(payload)) this.#set(record);
      this.log.info("allocation checkpoint loaded", { dir: slots.dir, allocations: this.#records.size });
    } catch (error) {
      this.log.error("allocation checkpoint unusable; starting without it", { dir: slots.dir, error });
    }
  }
}

/**
 * Checks the records of a checkpoint copy.
 *
 * @throws Error naming the first bad record or field
 */
export function parseRecords(payload: unknown): AllocationRecord[] {
  if (!Array.isArray(payload)) {
    throw new Error("Cannot use allocation checkpoint: expected a list of records");
  }
  return payload.map((value, index) => checkRecord(value, index));
}

function checkRecord(value: unknown, index: number): AllocationRecord {
  const o = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  const bad = (field: string) =>
    new Error(`Cannot use allocation checkpoint record ${index} ${JSON.stringify(value)}: bad ${field}`);
  for (const key of ["resourceName", "deviceId", "lower"]) {
    if (typeof o[key] !== "string" || o[key] === "") throw bad(key);
  }
  if (!(MACVTAP_MODES as readonly unknown[]).includes(o.mode)) throw bad("mode");
  if (!Number.isSafeInteger(o.ifindex) || (o.ifindex as number) <= 0) throw bad("ifindex");
  if (!Number.isSafeInteger(o.allocatedAtMs) || (o.allocatedAtMs as number) < 0) throw bad("allocatedAtMs");
  return {
    resourceName: o.resourceName as string,
    deviceId: o.deviceId as string,
    lower: o.lower as string,
    mode: o.mode as MacvtapMode,
    ifindex: o.ifindex as number,
    allocatedAtMs: o.allocatedAtMs as number,
  };
}
