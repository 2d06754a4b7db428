// Test module (asconfig.test.json): the hostdev pieces of the CNI (origin
// records, PCI addresses and drivers from sysfs, default routes, NIC lookup) for
// Deno tests. Needs `macvtap_host` netlink imports and bus_device_link (the test
// passes fakes, or the capability host's real ones).

import { JsonValue } from "../../assembly/json/value";
import { stringify } from "../../assembly/json/stringify";
import { NLM_F_MULTI, RTM_NEWLINK, RTM_NEWROUTE } from "../../assembly/netlink/constants";
import { NetlinkConn } from "../../assembly/netlink/conn";
import { LinkMessage } from "../../assembly/netlink/link";
import { MessageDecoder } from "../../assembly/netlink/message";
import { RouteMessage } from "../../assembly/netlink/route";
import { driverOf, isPciAddress, pciAddressOf } from "../../assembly/hostdev/bus_device";
import { defaultRouteOifs } from "../../assembly/hostdev/default_route";
import { findNic } from "../../assembly/hostdev/nic_lookup";
import { OriginRecord } from "../../assembly/hostdev/origin_record";

/** The first RTM_NEWLINK of a datagram. */
function firstLink(datagram: Uint8Array): LinkMessage {
  const d = new MessageDecoder(datagram, datagram.length);
  while (d.next()) {
    if (d.header.type == RTM_NEWLINK) return LinkMessage.decode(d.message().payload).value!;
  }
  return new LinkMessage();
}

export function pciAddress(text: string): bool {
  return isPciAddress(text);
}

/** {"pciAddress", "driver"} of the first link in a datagram (null members when none). */
export function nicDevice(datagram: Uint8Array): string {
  const link = firstLink(datagram);
  const out = JsonValue.object();
  const pci = pciAddressOf(link);
  const driver = driverOf(link);
  out.set("pciAddress", pci != null ? JsonValue.string(pci!) : JsonValue.null());
  out.set("driver", driver != null ? JsonValue.string(driver!) : JsonValue.null());
  return stringify(out);
}

/**
 * The first link of a datagram re-encoded as a dump part (NLM_F_MULTI) with another
 * name, ifindex and parent device ("" bus drops both parent attributes): how tests
 * derive more NICs from the one recorded virtio NIC.
 */
export function deriveLink(
  datagram: Uint8Array,
  name: string,
  index: i32,
  bus: string,
  device: string,
): Uint8Array {
  const link = firstLink(datagram);
  link.name = name;
  link.index = index;
  link.parentBusName = bus.length > 0 ? bus : null;
  link.parentDevName = bus.length > 0 ? device : null;
  return link.encode(RTM_NEWLINK, NLM_F_MULTI).value!;
}

/** The origin record of the first link in a datagram, as alias text. */
export function originOf(datagram: Uint8Array, deviceID: string): string {
  return OriginRecord.of(firstLink(datagram), deviceID).encode();
}

/** A record made from fields, as alias text (old alias `alias`). */
export function originText(deviceID: string, name: string, mtu: u32, up: bool, alias: string): string {
  const record = new OriginRecord();
  record.deviceID = deviceID;
  record.name = name;
  record.mtu = mtu;
  record.mac = new Uint8Array(6);
  record.mac[0] = 0x02;
  record.mac[5] = 0x07;
  record.up = up;
  record.alias = alias;
  return record.encode();
}

/** The record in an alias as JSON, or "null". */
export function originDecode(alias: string): string {
  const record = OriginRecord.decode(alias);
  if (record == null) return "null";
  let mac = "";
  for (let i = 0; i < record.mac.length; i++) {
    mac += (record.mac[i] < 16 ? "0" : "") + record.mac[i].toString(16);
  }
  return stringify(
    JsonValue.object()
      .setString("deviceID", record.deviceID)
      .setString("name", record.name)
      .setNumber("mtu", <f64> record.mtu)
      .setString("mac", mac)
      .setBool("up", record.up)
      .setString("alias", record.alias),
  );
}

/** defaultRouteOifs over every RTM_NEWROUTE of the datagrams joined in `datagrams`. */
export function defaultRoutes(datagrams: Uint8Array): string {
  const routes = new Array<RouteMessage>();
  const d = new MessageDecoder(datagrams, datagrams.length);
  while (d.next()) {
    if (d.header.type == RTM_NEWROUTE) routes.push(RouteMessage.decode(d.message().payload).value!);
  }
  const out = JsonValue.array();
  const oifs = defaultRouteOifs(routes);
  for (let i = 0; i < oifs.length; i++) out.push(JsonValue.number(<f64> oifs[i]));
  return stringify(out);
}

/** findNic in the netns the host runs in: {"name", "index"} or {"code", "msg"}. */
export function lookupNic(deviceID: string): string {
  const opened = NetlinkConn.open(-1, 0);
  if (opened.error != null) {
    return stringify(JsonValue.object().setString("openError", opened.error!.toString()));
  }
  const conn = opened.value!;
  const found = findNic(conn, deviceID);
  conn.close();
  const error = found.error;
  if (error != null) {
    return stringify(JsonValue.object().setNumber("code", <f64> error.code).setString("msg", error.msg));
  }
  const link = found.link!;
  return stringify(
    JsonValue.object().setString("name", link.name != null ? link.name! : "").setNumber(
      "index",
      <f64> link.index,
    ),
  );
}
