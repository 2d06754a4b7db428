/**
 * The device plugin configuration: a JSON array of `{name, lowerDevice, mode, capacity}`, as in
 * kubevirt/macvtap-cni's `DP_MACVTAP_CONF`, validated in full at load time. Entries with
 * `"kind": "hostdev"` advertise whole NICs instead (`{name, kind, driver | pciAddresses | interfaces}`,
 * see {@link HostdevResourceConfig}); macvtap stays the default kind.
 *
 * Differences from upstream, all on purpose:
 * - every problem is reported at load, naming the entry (upstream only fails at Allocate);
 * - `lowerDevice` may be left out and then defaults to `name` (`[{"name":"eth0"}]` just works), while
 *   upstream silently advertises devices that can never be allocated;
 * - `capacity` ≤ 0 or above {@link MAX_CAPACITY} is an error (upstream turns ≤ 0 into 100);
 * - modes `passthru` and `source` are accepted too;
 * - unknown keys are warnings (upstream ignores them silently, and failing would turn a config that works
 *   upstream, e.g. one still carrying the pre-2021 key `master`, into a crash loop), so a typo
 *   (`lowerdevice`) is reported without stopping the node's devices;
 * - `null` for an optional key means "use the default".
 *
 * An empty array `[]` turns on auto-discovery of lower links.
 *
 * @module
 */
import { deviceId, MAX_KUBELET_NAME_LENGTH, resourceSuffixProblem } from "./resources/resource_names.ts";

/** Macvtap modes, spelled as `ip link … type macvtap mode <mode>` spells them. */
export const MACVTAP_MODES = ["bridge", "vepa", "private", "passthru", "source"] as const;

/** One macvtap mode. */
export type MacvtapMode = typeof MACVTAP_MODES[number];

/** Mode when the entry names none (upstream's default). */
export const DEFAULT_MODE: MacvtapMode = "bridge";

/** Devices per resource when the entry names no capacity (upstream's default). */
export const DEFAULT_CAPACITY = 100;

/** Largest capacity accepted: more devices than any node can use, and still cheap to list. */
export const MAX_CAPACITY = 10_000;

/** Linux IFNAMSIZ - 1: the longest interface name. */
const MAX_IFNAME_LENGTH = 15;

const KNOWN_KEYS = new Set(["name", "kind", "lowerDevice", "mode", "capacity"]);

const HOSTDEV_KEYS = new Set(["name", "kind", "driver", "pciAddresses", "interfaces"]);

/** Driver a hostdev entry selects when it names no selector (the virt-network-device-plugin's default). */
export const DEFAULT_HOSTDEV_DRIVER = "virtio_net";

/** A PCI address as sysfs spells it: domain (4+ hex digits), bus, device, function. */
const PCI_ADDRESS_PATTERN = /^[0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;

/** One advertised resource: `capacity` devices of `macvtap.network.kubevirt.io/<name>` on `lowerDevice`. */
export interface ResourceConfig {
  /** Resource name suffix and device ID prefix. */
  readonly name: string;
  /** Host link the macvtaps are created on. */
  readonly lowerDevice: string;
  /** Macvtap mode of the created links. */
  readonly mode: MacvtapMode;
  /** Number of devices advertised. */
  readonly capacity: number;
}

/**
 * How a hostdev resource picks its NICs (one device per NIC): by the driver bound to the NIC, by PCI
 * address, or by interface name. Only naming a NIC lets a virtual link (a veth standing in for a NIC in
 * tests) in; the node's default-route interface, loopback and macvtaps are never picked.
 */
export type NicSelection =
  | { readonly by: "driver"; readonly driver: string }
  | { readonly by: "pciAddress"; readonly pciAddresses: readonly string[] }
  | { readonly by: "name"; readonly interfaces: readonly string[] };

/** One advertised whole-NIC resource: `macvtap.network.kubevirt.io/<name>`, one device per selected NIC. */
export interface HostdevResourceConfig {
  /** Resource name suffix. */
  readonly name: string;
  readonly kind: "hostdev";
  readonly select: NicSelection;
}

/** A loaded configuration. */
export interface DaemonConfig {
  /** The configured macvtap resources; empty when {@link autoDiscover} is set. */
  readonly resources: readonly ResourceConfig[];
  /** The configured hostdev resources, in config order (an earlier entry wins a NIC two entries select). */
  readonly hostdevResources: readonly HostdevResourceConfig[];
  /** True for `[]`: one resource per suitable lower link, following links as they come and go. */
  readonly autoDiscover: boolean;
}

/** Receives each warning about a usable configuration (an ignored key), naming the source and the entry. */
export type ConfigWarning = (message: string) => void;

/** A configuration that cannot be used; the message names the source and the entry. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * Parses and validates a configuration document.
 *
 * @param text the JSON text
 * @param origin where it came from, for error messages (`DP_MACVTAP_CONF`, a file path)
 * @param warn told about what is ignored (unknown keys); default: nobody
 * @returns the configuration with defaults filled in
 * @throws {ConfigError} naming the first problem found
 */
export function parseConfig(text: string, origin: string, warn: ConfigWarning = () => {}): DaemonConfig {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`Cannot parse config from ${origin}: ${(error as Error).message}`);
  }
  if (!Array.isArray(document)) {
    throw new ConfigError(`Cannot use config from ${origin}: expected a JSON array of resources`);
  }
  const entries = document.map((entry, index) => parseEntry(entry, `${origin} entry ${index}`, warn));
  rejectDuplicateNames(entries, origin);
  return {
    resources: entries.filter((entry): entry is ResourceConfig => !isHostdevResource(entry)),
    hostdevResources: entries.filter(isHostdevResource),
    autoDiscover: entries.length === 0,
  };
}

/** Whether a config entry advertises whole NICs (else macvtaps). */
export function isHostdevResource(
  entry: ResourceConfig | HostdevResourceConfig,
): entry is HostdevResourceConfig {
  return "kind" in entry && entry.kind === "hostdev";
}

function parseEntry(
  entry: unknown,
  where: string,
  warn: ConfigWarning,
): ResourceConfig | HostdevResourceConfig {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    throw new ConfigError(`Cannot use ${where}: expected an object, got ${JSON.stringify(entry)}`);
  }
  const fields = entry as Record<string, unknown>;
  const name = parseName(fields.name, where);
  const at = `${where} ("${name}")`;
  const kind = fields.kind ?? "macvtap";
  if (kind === "hostdev") return parseHostdevEntry(fields, name, at, warn);
  if (kind !== "macvtap") {
    throw new ConfigError(`Cannot use ${at}: kind ${JSON.stringify(kind)} is not one of macvtap, hostdev`);
  }
  warnUnknownKeys(fields, at, KNOWN_KEYS, warn);
  const lowerDevice = parseLowerDevice(fields.lowerDevice, name, at);
  const mode = parseMode(fields.mode, at);
  const capacity = parseCapacity(fields.capacity, at);
  const lastId = deviceId(name, capacity - 1);
  if (lastId.length > MAX_KUBELET_NAME_LENGTH) {
    throw new ConfigError(
      `Cannot use ${at}: device ID "${lastId}" is longer than ${MAX_KUBELET_NAME_LENGTH} characters; shorten the name`,
    );
  }
  return { name, lowerDevice, mode, capacity };
}

function parseName(value: unknown, where: string): string {
  if (typeof value !== "string") {
    throw new ConfigError(`Cannot use ${where}: "name" must be a string, got ${JSON.stringify(value)}`);
  }
  const problem = resourceSuffixProblem(value);
  if (problem) throw new ConfigError(`Cannot use ${where}: name "${value}" ${problem}`);
  return value;
}

function warnUnknownKeys(
  fields: Record<string, unknown>,
  at: string,
  known: Set<string>,
  warn: ConfigWarning,
): void {
  for (const key of Object.keys(fields)) {
    if (known.has(key)) continue;
    const hint = key === "master" ? ` (renamed "lowerDevice" in 2021)` : "";
    warn(`Ignoring unknown key "${key}"${hint} in ${at}; known keys are ${[...known].join(", ")}`);
  }
}

/** `{name, kind: "hostdev"}` plus at most one of driver, pciAddresses, interfaces (default: the virtio_net driver). */
function parseHostdevEntry(
  fields: Record<string, unknown>,
  name: string,
  at: string,
  warn: ConfigWarning,
): HostdevResourceConfig {
  warnUnknownKeys(fields, at, HOSTDEV_KEYS, warn);
  const given = ["driver", "pciAddresses", "interfaces"].filter((key) => fields[key] != null);
  if (given.length > 1) {
    throw new ConfigError(
      `Cannot use ${at}: give one of driver, pciAddresses, interfaces, not ${given.join(" and ")}`,
    );
  }
  const select: NicSelection = fields.pciAddresses != null
    ? {
      by: "pciAddress",
      pciAddresses: parseList(fields.pciAddresses, "pciAddresses", at, pciAddressProblem),
    }
    : fields.interfaces != null
    ? { by: "name", interfaces: parseList(fields.interfaces, "interfaces", at, ifnameProblem) }
    : { by: "driver", driver: parseDriver(fields.driver, at) };
  return { name, kind: "hostdev", select };
}

function parseDriver(value: unknown, at: string): string {
  if (value === undefined || value === null) return DEFAULT_HOSTDEV_DRIVER;
  if (typeof value === "string" && /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(value)) return value;
  throw new ConfigError(
    `Cannot use ${at}: driver ${JSON.stringify(value)} is not a driver name (like virtio_net)`,
  );
}

/** A non-empty array of distinct strings, each passing `problemOf`. */
function parseList(
  value: unknown,
  key: string,
  at: string,
  problemOf: (item: string) => string | null,
): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConfigError(
      `Cannot use ${at}: "${key}" must be a non-empty array, got ${JSON.stringify(value)}`,
    );
  }
  for (const item of value) {
    const problem = typeof item === "string" ? problemOf(item) : "is not a string";
    if (problem) throw new ConfigError(`Cannot use ${at}: ${key} entry ${JSON.stringify(item)} ${problem}`);
  }
  if (new Set(value).size !== value.length) {
    throw new ConfigError(`Cannot use ${at}: "${key}" lists an entry twice`);
  }
  return value as string[];
}

function pciAddressProblem(address: string): string | null {
  return PCI_ADDRESS_PATTERN.test(address) ? null : "is not a lower-case PCI address like 0000:00:0a.0";
}

function parseLowerDevice(value: unknown, name: string, at: string): string {
  if (value === undefined || value === null) return name;
  if (typeof value !== "string") {
    throw new ConfigError(`Cannot use ${at}: "lowerDevice" must be a string, got ${JSON.stringify(value)}`);
  }
  const problem = ifnameProblem(value);
  if (problem) throw new ConfigError(`Cannot use ${at}: lowerDevice "${value}" ${problem}`);
  return value;
}

/** Why `name` cannot be a Linux interface name (the kernel's dev_valid_name()), or null. */
function ifnameProblem(name: string): string | null {
  if (name.length === 0) return "is empty";
  if (new TextEncoder().encode(name).length > MAX_IFNAME_LENGTH) {
    return `is longer than ${MAX_IFNAME_LENGTH} bytes`;
  }
  if (name === "." || name === "..") return "is not a valid interface name";
  if (/[/:\s\0]/.test(name)) return "contains '/', ':' or white space";
  return null;
}

function parseMode(value: unknown, at: string): MacvtapMode {
  if (value === undefined || value === null) return DEFAULT_MODE;
  if (typeof value === "string" && (MACVTAP_MODES as readonly string[]).includes(value)) {
    return value as MacvtapMode;
  }
  throw new ConfigError(
    `Cannot use ${at}: mode ${JSON.stringify(value)} is not one of ${MACVTAP_MODES.join(", ")}`,
  );
}

function parseCapacity(value: unknown, at: string): number {
  if (value === undefined || value === null) return DEFAULT_CAPACITY;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new ConfigError(`Cannot use ${at}: capacity must be a whole number, got ${JSON.stringify(value)}`);
  }
  if (value <= 0 || value > MAX_CAPACITY) {
    throw new ConfigError(`Cannot use ${at}: capacity ${value} is outside 1..${MAX_CAPACITY}`);
  }
  return value;
}

function rejectDuplicateNames(resources: { name: string }[], origin: string): void {
  const firstIndex = new Map<string, number>();
  resources.forEach((resource, index) => {
    const earlier = firstIndex.get(resource.name);
    if (earlier !== undefined) {
      throw new ConfigError(
        `Cannot use config from ${origin}: entries ${earlier} and ${index} are both named "${resource.name}"`,
      );
    }
    firstIndex.set(resource.name, index);
  });
}

/** True when both configurations advertise exactly the same resources. */
export function sameConfig(a: DaemonConfig, b: DaemonConfig): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
