/**
 * Golden netlink bytes recorded by tools/capture_netlink.py, and small helpers
 * the codec tests share.
 *
 * Requires --allow-read on cni-wasm/test/testdata/netlink.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

const TESTDATA = fileURLToPath(new URL("../testdata/netlink/", import.meta.url));

/**
 * Reads `<name>.hex`: every `@section` is one datagram. `#` starts a comment;
 * spaces and line breaks are layout only.
 *
 * @returns section name → bytes, in file order
 */
export function loadFixture(name: string): Map<string, Uint8Array> {
  const text = Deno.readTextFileSync(`${TESTDATA}${name}.hex`);
  const sections = new Map<string, Uint8Array>();
  let current: string | null = null;
  let hex = "";
  const flush = () => {
    if (current !== null) sections.set(current, hexToBytes(hex));
    hex = "";
  };
  for (const rawLine of text.split("\n")) {
    const line = rawLine.replace(/#.*$/, "").trim();
    if (line.startsWith("@")) {
      flush();
      current = line.slice(1).trim();
    } else if (line.length > 0) {
      if (current === null) throw new Error(`${name}.hex: bytes before the first @section: "${line}"`);
      hex += line;
    }
  }
  flush();
  return sections;
}

/** One section of a fixture; throws naming the file and section when it is missing. */
export function fixtureSection(name: string, section: string): Uint8Array {
  const bytes = loadFixture(name).get(section);
  if (!bytes) throw new Error(`${name}.hex has no section @${section}`);
  return bytes;
}

/** "0a 01" or "0a01" → bytes; throws on anything that is not pairs of hex digits. */
export function hexToBytes(hex: string): Uint8Array {
  const compact = hex.replace(/\s+/g, "");
  if (!/^([0-9a-fA-F]{2})*$/.test(compact)) throw new Error(`not hex byte pairs: "${hex.slice(0, 40)}..."`);
  const out = new Uint8Array(compact.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(compact.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Bytes → "0a 01 ..." (for assertion messages). */
export function bytesToHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");
}

/** A copy of a message with nlmsg_seq replaced (golden requests carry iproute2's own sequence numbers). */
export function withSeq(message: Uint8Array, seq: number): Uint8Array {
  const copy = message.slice();
  new DataView(copy.buffer).setUint32(8, seq, true);
  return copy;
}

/** nlmsg_seq of an encoded message. */
export function seqOf(message: Uint8Array): number {
  return new DataView(message.buffer, message.byteOffset).getUint32(8, true);
}
