// CNI error codes (SPEC.md "Error codes"; 0-99 are reserved by the spec, 100+
// are this plugin's own and documented in cni-wasm/README.md) and the error value
// every fallible step returns. Only the dispatcher (../index.ts) prints them.

/** 1: the config's cniVersion is not one this plugin speaks. */
export const ERR_INCOMPATIBLE_VERSION: i32 = 1;
/** 2: a field the plugin understands but cannot honour. */
export const ERR_UNSUPPORTED_FIELD: i32 = 2;
/** 3: the container (CNI_NETNS) does not exist; the runtime needs no cleanup. */
export const ERR_UNKNOWN_CONTAINER: i32 = 3;
/** 4: a CNI_* environment variable is missing or invalid. */
export const ERR_INVALID_ENV: i32 = 4;
/** 5: I/O failure (reading stdin). */
export const ERR_IO: i32 = 5;
/** 6: stdin is not decodable JSON. */
export const ERR_DECODING: i32 = 6;
/** 7: the network configuration is invalid. */
export const ERR_INVALID_CONFIG: i32 = 7;
/** 11: a transient condition; the runtime should retry later. */
export const ERR_TRY_AGAIN: i32 = 11;
/** 50: STATUS — the plugin is not available (cannot serve ADD now). */
export const ERR_NOT_AVAILABLE: i32 = 50;
/** 51: STATUS — not available, and existing containers in the network may have limited connectivity. */
export const ERR_NOT_AVAILABLE_DEGRADED: i32 = 51;

/** 100: no host link for the deviceID (the device plugin's Allocate did not run, or it moved). */
export const ERR_DEVICE_NOT_FOUND: i32 = 100;
/**
 * 101: the deviceID names a link this plugin refuses to move: for a macvtap network anything but a
 * macvtap; for a hostdev network loopback, a default-route interface, a bond/bridge port or a macvtap.
 */
export const ERR_REFUSED_LINK: i32 = 101;
/** 102: /dev/tap<ifindex> is missing or cannot be chowned (e.g. kind without /dev mounted). */
export const ERR_TAP_DEVICE: i32 = 102;
/** 103: a netlink request failed (errno and kernel message in details). */
export const ERR_NETLINK: i32 = 103;
/** 104: CNI_IFNAME already exists in the pod netns. */
export const ERR_IFNAME_IN_USE: i32 = 104;
/** 105: CHECK found the attachment different from prevResult. */
export const ERR_CHECK_MISMATCH: i32 = 105;
/** 106: the IPAM plugin could not be run or returned an unusable result. */
export const ERR_IPAM: i32 = 106;
/** 999: internal error (a wasm trap, caught by the host). */
export const ERR_INTERNAL: i32 = 999;

export class CniError {
  constructor(
    public code: i32,
    public msg: string,
    public details: string = "",
  ) {}

  /** Prefixes the message with what was being attempted ("moving mvt1 to the pod: ..."). */
  wrap(context: string): CniError {
    return new CniError(this.code, context + ": " + this.msg, this.details);
  }
}

export function invalidConfig(msg: string): CniError {
  return new CniError(ERR_INVALID_CONFIG, msg);
}

export function invalidEnv(msg: string): CniError {
  return new CniError(ERR_INVALID_ENV, msg);
}
