/**
 * Debian's host-local IPAM plugin as a real peer: its config, and its leases on disk.
 *
 * host-local keeps one file per leased address in `<dataDir>/<network name>/`, named after the address
 * and holding "<containerID>\n<ifname>" (plugins/ipam/host-local/backend/disk). `lock` and
 * `last_reserved_ip.<range index>` in the same folder are its own bookkeeping, not leases: they stay after
 * every lease is released.
 *
 * Requires `--allow-read` on the dataDir.
 *
 * @module
 */

/** One address host-local handed out. */
export interface Lease {
  /** The file name: the address without prefix. */
  ip: string;
  containerId: string;
  ifname: string;
}

/** host-local's bookkeeping files, which stay after every lease is released (not leases). */
const BOOKKEEPING = /^(lock|last_reserved_ip\.\d+)$/;

/** Lease files (one per address) in host-local's `<dataDir>/<network>`; none when the folder is missing. */
export function leaseFiles(dataDir: string, network: string): string[] {
  try {
    return [...Deno.readDirSync(`${dataDir}/${network}`)]
      .map((e) => e.name)
      .filter((name) => !BOOKKEEPING.test(name))
      .sort();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/** Every lease in `<dataDir>/<network>`; none when the folder does not exist yet. */
export async function leases(dataDir: string, network: string): Promise<Lease[]> {
  const dir = `${dataDir}/${network}`;
  const found: Lease[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (BOOKKEEPING.test(entry.name)) continue;
      const [containerId = "", ifname = ""] = (await Deno.readTextFile(`${dir}/${entry.name}`)).split(
        /\r?\n/,
      );
      found.push({ ip: entry.name, containerId, ifname });
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return found.sort((a, b) => a.ip.localeCompare(b.ip));
}

/** One host-local range: a subnet, optionally a first/last address and a gateway. */
export interface HostLocalRange {
  subnet: string;
  rangeStart?: string;
  rangeEnd?: string;
  gateway?: string;
}

/**
 * An `ipam` object for host-local: one range set per entry of `ranges` (so one address per range set,
 * e.g. one IPv4 and one IPv6), state in `dataDir`.
 */
export function hostLocalIpam(
  dataDir: string,
  ranges: HostLocalRange[],
  routes: { dst: string; gw?: string }[] = [],
): Record<string, unknown> {
  return { type: "host-local", dataDir, ranges: ranges.map((r) => [r]), routes };
}
