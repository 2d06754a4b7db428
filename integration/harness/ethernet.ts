/**
 * Just enough Ethernet, ARP and ICMPv6 to build test frames and recognise the ones the kernel sends
 * (gratuitous ARP, unsolicited neighbour advertisements). Field offsets follow the wire formats of
 * IEEE 802.3, RFC 826 (ARP) and RFC 4861 §4.4 (Neighbor Advertisement).
 *
 * @module
 */

/** IEEE 802 "Local Experimental Ethertype 1": never used by real traffic, so test frames stand out. */
export const ETHERTYPE_EXPERIMENT = 0x88b5;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
const ETH_HEADER_LEN = 14;
const IPV6_HEADER_LEN = 40;
const IPPROTO_ICMPV6 = 58;
const ND_NEIGHBOR_ADVERT = 136;

/** "02:00:5e:00:00:01" → 6 bytes. */
export function macBytes(mac: string): Uint8Array {
  const parts = mac.split(":");
  if (parts.length !== 6) throw new Error(`not a MAC address: "${mac}"`);
  return Uint8Array.from(parts, (p) => parseInt(p, 16));
}

/** 6 bytes → "02:00:5e:00:00:01". */
export function macText(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, "0")).join(":");
}

/** A frame: destination, source, ethertype, payload (no FCS; the kernel adds what the medium needs). */
export function ethernetFrame(dst: string, src: string, ethertype: number, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(ETH_HEADER_LEN + payload.length);
  frame.set(macBytes(dst), 0);
  frame.set(macBytes(src), 6);
  new DataView(frame.buffer).setUint16(12, ethertype);
  frame.set(payload, ETH_HEADER_LEN);
  return frame;
}

/** A test frame carrying a random marker, so the test can pick exactly this frame out of a capture. */
export function markedFrame(dst: string, src: string): { frame: Uint8Array; marker: Uint8Array } {
  const marker = crypto.getRandomValues(new Uint8Array(16));
  return { frame: ethernetFrame(dst, src, ETHERTYPE_EXPERIMENT, marker), marker };
}

/** The header fields of a received frame. */
export interface EthernetHeader {
  dst: string;
  src: string;
  ethertype: number;
  payload: Uint8Array;
}

export function parseEthernet(frame: Uint8Array): EthernetHeader | null {
  if (frame.length < ETH_HEADER_LEN) return null;
  return {
    dst: macText(frame.subarray(0, 6)),
    src: macText(frame.subarray(6, 12)),
    ethertype: new DataView(frame.buffer, frame.byteOffset).getUint16(12),
    payload: frame.subarray(ETH_HEADER_LEN),
  };
}

/** True when `frame` is our experiment frame carrying `marker`. */
export function carriesMarker(frame: Uint8Array, marker: Uint8Array): boolean {
  const eth = parseEthernet(frame);
  if (!eth || eth.ethertype !== ETHERTYPE_EXPERIMENT || eth.payload.length < marker.length) return false;
  return marker.every((byte, i) => eth.payload[i] === byte);
}

/** An ARP packet for IPv4 over Ethernet (RFC 826). */
export interface Arp {
  /** 1 request, 2 reply. */
  op: number;
  senderMac: string;
  senderIp: string;
  targetIp: string;
}

export function parseArp(frame: Uint8Array): Arp | null {
  const eth = parseEthernet(frame);
  if (!eth || eth.ethertype !== ETHERTYPE_ARP || eth.payload.length < 28) return null;
  const p = eth.payload;
  const view = new DataView(p.buffer, p.byteOffset);
  return {
    op: view.getUint16(6),
    senderMac: macText(p.subarray(8, 14)),
    senderIp: p.subarray(14, 18).join("."),
    targetIp: p.subarray(24, 28).join("."),
  };
}

/** A Neighbor Advertisement (RFC 4861 §4.4) inside IPv6. */
export interface NeighbourAdvert {
  srcMac: string;
  dstIp: string;
  /** The R/S/O flags byte. */
  flags: number;
  target: string;
}

export function parseNeighbourAdvert(frame: Uint8Array): NeighbourAdvert | null {
  const eth = parseEthernet(frame);
  if (!eth || eth.ethertype !== ETHERTYPE_IPV6 || eth.payload.length < IPV6_HEADER_LEN + 24) return null;
  const ip = eth.payload;
  if (ip[6] !== IPPROTO_ICMPV6) return null;
  const icmp = ip.subarray(IPV6_HEADER_LEN);
  if (icmp[0] !== ND_NEIGHBOR_ADVERT) return null;
  return {
    srcMac: eth.src,
    dstIp: ipv6Text(ip.subarray(24, 40)),
    flags: icmp[4]!,
    target: ipv6Text(icmp.subarray(8, 24)),
  };
}

/** 16 bytes → the canonical text form (RFC 5952: lowercase, longest zero run as "::"). */
export function ipv6Text(bytes: Uint8Array): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 16);
  const groups = Array.from({ length: 8 }, (_, i) => view.getUint16(i * 2));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  const head = hex.slice(0, bestStart).join(":");
  const tail = hex.slice(bestStart + bestLen).join(":");
  return `${head}::${tail}`;
}
