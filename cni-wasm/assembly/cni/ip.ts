// IPv4/IPv6 addresses and CIDR prefixes as CNI results write them
// ("10.1.2.3/24", "fd00::5/64", gateways without a prefix), parsed into the
// bytes netlink wants. Bad text is an error value, never a trap.

export class IpAddress {
  constructor(
    /** 4 or 16 bytes. */
    public bytes: Uint8Array,
    /** Prefix length; the full width when the text had none. */
    public prefix: i32,
  ) {}

  get isV6(): bool {
    return this.bytes.length == 16;
  }
}

export class IpResult {
  constructor(
    public address: IpAddress | null,
    public error: string | null,
  ) {}
}

/** Parses "a.b.c.d", "a.b.c.d/n", an IPv6 address, or IPv6 "/n". */
export function parseCidr(text: string): IpResult {
  const slash = text.indexOf("/");
  const addressText = slash < 0 ? text : text.substring(0, slash);
  const bytes = addressText.includes(":") ? parseIpv6(addressText) : parseIpv4(addressText);
  if (bytes == null) return new IpResult(null, 'invalid IP address "' + text + '"');
  const width = bytes.length * 8;
  let prefix = width;
  if (slash >= 0) {
    prefix = parseDecimal(text.substring(slash + 1), width);
    if (prefix < 0) return new IpResult(null, 'invalid prefix length in "' + text + '"');
  }
  return new IpResult(new IpAddress(bytes, prefix), null);
}

/**
 * The network of `ip` (host bits cleared), as Go's net.ParseCIDR returns it: what a route's dst means.
 * "192.168.10.7/24" names 192.168.10.0/24; the kernel refuses IPv4 route prefixes with host bits (EINVAL)
 * and silently clears them for IPv6.
 */
export function networkOf(ip: IpAddress): IpAddress {
  const bytes = new Uint8Array(ip.bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const bitsBefore = i * 8;
    if (ip.prefix >= bitsBefore + 8) bytes[i] = ip.bytes[i];
    else if (ip.prefix > bitsBefore) {
      bytes[i] = <u8> (<i32> ip.bytes[i] & (0xff << (8 - (ip.prefix - bitsBefore))));
    }
  }
  return new IpAddress(bytes, ip.prefix);
}

/** Decimal in [0, limit], or -1. */
function parseDecimal(text: string, limit: i32): i32 {
  if (text.length == 0 || text.length > 3) return -1;
  let n: i32 = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  return n <= limit ? n : -1;
}

function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length != 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i];
    // Leading zeros are refused, as Go's net.ParseIP does (they read as octal elsewhere).
    if (part.length > 1 && part.charCodeAt(0) == 0x30) return null;
    const n = parseDecimal(part, 255);
    if (n < 0) return null;
    out[i] = <u8> n;
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | null {
  const doubleColon = text.indexOf("::");
  if (doubleColon >= 0 && text.indexOf("::", doubleColon + 1) >= 0) return null;
  const head = doubleColon < 0 ? text : text.substring(0, doubleColon);
  const tail = doubleColon < 0 ? "" : text.substring(doubleColon + 2);
  const headGroups = parseGroups(head);
  const tailGroups = parseGroups(tail);
  if (headGroups == null || tailGroups == null) return null;
  const used = headGroups.length + tailGroups.length;
  if (doubleColon < 0 ? used != 8 : used > 7) return null;
  const out = new Uint8Array(16);
  for (let i = 0; i < headGroups.length; i++) storeGroup(out, i, headGroups[i]);
  const tailStart = 8 - tailGroups.length;
  for (let i = 0; i < tailGroups.length; i++) storeGroup(out, tailStart + i, tailGroups[i]);
  return out;
}

/** Colon-separated 16-bit hex groups; an embedded IPv4 tail counts as two groups. */
function parseGroups(text: string): i32[] | null {
  const groups = new Array<i32>();
  if (text.length == 0) return groups;
  const parts = text.split(":");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (i == parts.length - 1 && part.includes(".")) {
      const v4 = parseIpv4(part);
      if (v4 == null) return null;
      groups.push((<i32> v4[0] << 8) | v4[1]);
      groups.push((<i32> v4[2] << 8) | v4[3]);
      continue;
    }
    const value = parseHexGroup(part);
    if (value < 0) return null;
    groups.push(value);
  }
  return groups;
}

function parseHexGroup(text: string): i32 {
  if (text.length == 0 || text.length > 4) return -1;
  let n: i32 = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let digit: i32 = -1;
    if (c >= 0x30 && c <= 0x39) digit = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) digit = c - 0x61 + 10;
    else if (c >= 0x41 && c <= 0x46) digit = c - 0x41 + 10;
    if (digit < 0) return -1;
    n = (n << 4) | digit;
  }
  return n;
}

function storeGroup(out: Uint8Array, index: i32, value: i32): void {
  out[index * 2] = <u8> (value >> 8);
  out[index * 2 + 1] = <u8> (value & 0xff);
}

/** Text form for messages: dotted quad, or full (uncompressed) IPv6 groups. */
export function formatIp(bytes: Uint8Array): string {
  const parts = new Array<string>();
  if (bytes.length == 4) {
    for (let i = 0; i < 4; i++) parts.push(bytes[i].toString());
    return parts.join(".");
  }
  for (let i = 0; i < bytes.length; i += 2) parts.push(((<i32> bytes[i] << 8) | bytes[i + 1]).toString(16));
  return parts.join(":");
}

/**
 * Compact text form: dotted quad, or IPv6 with the longest run of two or more zero groups
 * written "::" (the first one on a tie, RFC 5952 section 4.2).
 */
export function compactIp(bytes: Uint8Array): string {
  if (bytes.length != 16) return formatIp(bytes);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    let run = 0;
    while (i + run < 8 && bytes[(i + run) * 2] == 0 && bytes[(i + run) * 2 + 1] == 0) run++;
    if (run > bestLength) {
      bestStart = i;
      bestLength = run;
    }
    i += run > 0 ? run : 1;
  }
  let text = "";
  for (let i = 0; i < 8; i++) {
    if (i == bestStart) {
      text += "::";
      i += bestLength - 1;
      continue;
    }
    if (text.length > 0 && !text.endsWith(":")) text += ":";
    text += ((<i32> bytes[i * 2] << 8) | bytes[i * 2 + 1]).toString(16);
  }
  return text;
}
