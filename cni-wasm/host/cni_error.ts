/**
 * The CNI error object the HOST prints when the module cannot: a wasm trap,
 * or a host-side failure before or around the module (missing wasm, missing
 * libc, a bug in an import). Everything else is printed by the module's own
 * dispatcher; this is the last resort, always code 999.
 *
 * @module
 */

/** CNI error code for internal errors (SPEC.md "Error codes"). */
export const ERR_INTERNAL = 999;

/** The version errors are printed in when stdin has no usable cniVersion. */
export const FALLBACK_CNI_VERSION = "1.1.0";

const VERSION_PATTERN = /^\d+\.\d+\.\d+$/;

/** cniVersion of the network config on stdin when it parses, else {@link FALLBACK_CNI_VERSION}. */
export function cniVersionOf(stdin: Uint8Array): string {
  try {
    const config = JSON.parse(new TextDecoder().decode(stdin));
    const version = config?.cniVersion;
    if (typeof version === "string" && VERSION_PATTERN.test(version)) return version;
  } catch {
    // Not JSON: the module would have said so itself; here only the version matters.
  }
  return FALLBACK_CNI_VERSION;
}

/**
 * The spec's error object with code 999, one line plus newline.
 *
 * @param stdin the network config, for its cniVersion
 * @param msg short description ("macvtap plugin trapped")
 * @param details what exactly happened
 */
export function internalErrorJson(stdin: Uint8Array, msg: string, details: string): string {
  return `${JSON.stringify({ cniVersion: cniVersionOf(stdin), code: ERR_INTERNAL, msg, details })}\n`;
}
