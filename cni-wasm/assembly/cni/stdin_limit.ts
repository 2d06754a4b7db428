// How much stdin the plugin takes, and the error past it. Kept apart from imports/stdin.ts (which reads
// through WASI) so the dispatcher's tests can produce the same error.

import { CniError, ERR_DECODING } from "./errors";

/** Configs are small; anything bigger is refused rather than buffered without bound. */
export const MAX_STDIN_BYTES: i32 = 4 << 20;

/** Code 6 (the config cannot be decoded), naming the limit in bytes and MiB. */
export function stdinTooLarge(): CniError {
  return new CniError(
    ERR_DECODING,
    "network configuration on stdin is larger than the limit of " + MAX_STDIN_BYTES.toString() + " bytes (" +
      (MAX_STDIN_BYTES >> 20).toString() + " MiB)",
    "the plugin reads at most " + MAX_STDIN_BYTES.toString() + " bytes of stdin",
  );
}
