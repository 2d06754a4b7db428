// Test module (asconfig.test.json): the link broker's view of recorded
// netlink datagrams, so daemon-side discovery can be tested on golden dumps.
// Needs `macvtap_host.link_numa_node` and `bus_device_link` imports (the tests pass fakes).

import { JsonValue } from "../../assembly/json/value";
import { stringify } from "../../assembly/json/stringify";
import { RTM_NEWLINK } from "../../assembly/netlink/constants";
import { LinkMessage } from "../../assembly/netlink/link";
import { MessageDecoder } from "../../assembly/netlink/message";
import { linkToJson } from "../../assembly/broker/link_json";

/**
 * The broker protocol's Link objects for every RTM_NEWLINK in one datagram, as a JSON array (or "err:...").
 */
export function linksOfDatagram(datagram: Uint8Array): string {
  return linksOfDatagramRouted(datagram, 0);
}

/** linksOfDatagram, with ifindex `defaultRouteIndex` (0: none) carrying the node's default route. */
export function linksOfDatagramRouted(datagram: Uint8Array, defaultRouteIndex: i32): string {
  const defaultRoutes = new Array<i32>();
  if (defaultRouteIndex > 0) defaultRoutes.push(defaultRouteIndex);
  const links = JsonValue.array();
  const d = new MessageDecoder(datagram, datagram.length);
  while (d.next()) {
    if (d.header.type != RTM_NEWLINK) continue;
    const decoded = LinkMessage.decode(d.message().payload);
    if (decoded.error != null) return "err:" + decoded.error!;
    links.push(linkToJson(decoded.value!, 0, defaultRoutes));
  }
  if (d.error != null) return "err:" + d.error!;
  return stringify(links);
}
