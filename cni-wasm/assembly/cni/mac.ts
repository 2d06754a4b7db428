// MAC addresses: parsing the forms Go's net.ParseMAC accepts for 48-bit
// addresses, and refusing ones the kernel would reject on an interface.

export class MacResult {
  constructor(
    /** 6 bytes, or null on error. */
    public bytes: Uint8Array | null,
    public error: string | null,
  ) {}
}

/** Parses "aa:bb:cc:dd:ee:ff", "aa-bb-cc-dd-ee-ff" or "aabb.ccdd.eeff". */
export function parseMac(text: string): MacResult {
  const bytes = text.length == 14 ? parseDotted(text) : parseSeparated(text);
  if (bytes == null) {
    return new MacResult(
      null,
      'invalid MAC address "' + text + '": want six hex octets like 02:00:00:00:00:01',
    );
  }
  const mac = bytes;
  if ((mac[0] & 1) != 0) {
    return new MacResult(
      null,
      'invalid MAC address "' + text + '": a multicast address cannot be an interface address',
    );
  }
  let zero = true;
  for (let i = 0; i < 6; i++) if (mac[i] != 0) zero = false;
  if (zero) return new MacResult(null, 'invalid MAC address "' + text + '": all zeros');
  return new MacResult(mac, null);
}

function parseSeparated(text: string): Uint8Array | null {
  if (text.length != 17) return null;
  const separator = text.charCodeAt(2);
  if (separator != 0x3a && separator != 0x2d) return null;
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    if (i > 0 && text.charCodeAt(i * 3 - 1) != separator) return null;
    const hi = hexValue(text.charCodeAt(i * 3));
    const lo = hexValue(text.charCodeAt(i * 3 + 1));
    if (hi < 0 || lo < 0) return null;
    out[i] = <u8> ((hi << 4) | lo);
  }
  return out;
}

function parseDotted(text: string): Uint8Array | null {
  if (text.charCodeAt(4) != 0x2e || text.charCodeAt(9) != 0x2e) return null;
  const out = new Uint8Array(6);
  let octet = 0;
  for (let group = 0; group < 3; group++) {
    for (let j = 0; j < 4; j += 2) {
      const at = group * 5 + j;
      const hi = hexValue(text.charCodeAt(at));
      const lo = hexValue(text.charCodeAt(at + 1));
      if (hi < 0 || lo < 0) return null;
      out[octet++] = <u8> ((hi << 4) | lo);
    }
  }
  return out;
}

function hexValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

const HEX = "0123456789abcdef";

/** Lower-case, colon-separated, as CNI results and `ip link` print it. */
export function formatMac(bytes: Uint8Array): string {
  const parts = new Array<string>();
  for (let i = 0; i < bytes.length; i++) {
    parts.push(HEX.charAt(bytes[i] >> 4) + HEX.charAt(bytes[i] & 0xf));
  }
  return parts.join(":");
}
