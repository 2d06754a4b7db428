import { deepEqual, equal } from "node:assert/strict";
import {
  carriesMarker,
  ethernetFrame,
  ETHERTYPE_EXPERIMENT,
  ipv6Text,
  markedFrame,
  parseArp,
  parseEthernet,
  parseNeighbourAdvert,
} from "./ethernet.ts";

function hex(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g)!, (pair) => parseInt(pair, 16));
}

// Captured on the wire of a test node after ADD with static IPAM 10.66.0.5/24 + fd00:66::5/64, MAC 02:aa:00:00:00:02.
const CAPTURED_GARP = "ffffffffffff02aa000000020806000108000604000102aa000000020a4200050000000000000a420005";
const CAPTURED_NA = "33330000000102aa0000000286dd6000000000203afffd000066000000000000000000000005" +
  "ff0200000000000000000000000000018800591c20000000fd000066000000000000000000000005020102aa00000002";

Deno.test("ethernet: a captured gratuitous ARP parses", () => {
  deepEqual(parseArp(hex(CAPTURED_GARP)), {
    op: 1,
    senderMac: "02:aa:00:00:00:02",
    senderIp: "10.66.0.5",
    targetIp: "10.66.0.5",
  });
  equal(parseNeighbourAdvert(hex(CAPTURED_GARP)), null);
});

Deno.test("ethernet: a captured unsolicited neighbour advertisement parses", () => {
  deepEqual(parseNeighbourAdvert(hex(CAPTURED_NA)), {
    srcMac: "02:aa:00:00:00:02",
    dstIp: "ff02::1",
    flags: 0x20,
    target: "fd00:66::5",
  });
  equal(parseArp(hex(CAPTURED_NA)), null);
});

Deno.test("ethernet: built frames round-trip and markers match only their own frame", () => {
  const frame = ethernetFrame(
    "ff:ff:ff:ff:ff:ff",
    "02:00:00:00:00:01",
    ETHERTYPE_EXPERIMENT,
    new Uint8Array([1, 2]),
  );
  deepEqual(parseEthernet(frame), {
    dst: "ff:ff:ff:ff:ff:ff",
    src: "02:00:00:00:00:01",
    ethertype: ETHERTYPE_EXPERIMENT,
    payload: new Uint8Array([1, 2]),
  });
  const a = markedFrame("02:00:00:00:00:02", "02:00:00:00:00:01");
  const b = markedFrame("02:00:00:00:00:02", "02:00:00:00:00:01");
  equal(carriesMarker(a.frame, a.marker), true);
  equal(carriesMarker(a.frame, b.marker), false);
  equal(carriesMarker(hex(CAPTURED_GARP), a.marker), false);
});

Deno.test("ethernet: IPv6 text form follows RFC 5952", () => {
  const cases: [string, string][] = [
    ["fd000066000000000000000000000005", "fd00:66::5"],
    ["ff020000000000000000000000000001", "ff02::1"],
    ["00000000000000000000000000000000", "::"],
    ["20010db8000000010000000000000001", "2001:db8:0:1::1"],
    ["20010db8000000000001000000000001", "2001:db8::1:0:0:1"],
    ["20010db8000100020003000400050006", "2001:db8:1:2:3:4:5:6"],
  ];
  for (const [bytes, text] of cases) equal(ipv6Text(hex(bytes)), text, bytes);
});
