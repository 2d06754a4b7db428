// The broker's operations on the host netns. Its mandate is narrow on purpose:
// it creates and deletes only macvtaps named like temp links (mvt + 12 hex), so a
// compromised daemon can at worst churn its own links, never touch eth0.

import { JsonValue } from "../json/value";
import { NetlinkConn } from "../netlink/conn";
import { EEXIST, ENODEV, errnoName } from "../netlink/errno";
import { NetlinkError } from "../netlink/error";
import { LinkMessage } from "../netlink/link";
import { macvlanModeFromName } from "../netlink/macvlan";
import { createLink, deleteLink, getLinkByName, listLinks, newMacvlanLink } from "../netlink/rtnl";
import { isTempLinkName } from "../macvtap/temp_link_name";
import { FirstSeen, linkToJson } from "./link_json";

/** An operation's answer: a result object, or an errno name and message. */
export class Answer {
  constructor(
    public result: JsonValue | null,
    public code: string,
    public message: string,
  ) {}

  static ok(result: JsonValue): Answer {
    return new Answer(result, "", "");
  }

  static fail(code: string, message: string): Answer {
    return new Answer(null, code, message);
  }

  static netlink(error: NetlinkError): Answer {
    const name = errnoName(error.errno);
    return Answer.fail(name.startsWith("E") ? name : "EIO", error.toString());
  }
}

/** Every link (or only temp macvtaps); `defaultRoutes` marks the default-route interfaces. */
export function listAll(
  conn: NetlinkConn,
  seen: FirstSeen,
  now: f64,
  tempOnly: bool,
  defaultRoutes: i32[],
): Answer {
  const listed = listLinks(conn);
  if (listed.error != null) return Answer.netlink(listed.error!);
  const links = JsonValue.array();
  const all = listed.value!;
  for (let i = 0; i < all.length; i++) {
    const link = all[i];
    if (tempOnly && !isTempMacvtap(link)) continue;
    links.push(linkToJson(link, seen.touch(link.index, now), defaultRoutes));
  }
  return Answer.ok(JsonValue.object().set("links", links));
}

function isTempMacvtap(link: LinkMessage): bool {
  const name = link.name;
  const kind = link.kind;
  return name != null && kind != null && kind == "macvtap" && isTempLinkName(name);
}

/**
 * A macvtap `name` on `lower`, up, txqlen copied from the lower (kubevirt saw crashes without it).
 * `ifindex` > 0 asks the kernel for that ifindex (ifi_index in RTM_NEWLINK, what `ip link add … index N`
 * sends): the daemon re-creates a macvtap whose /dev/tap<ifindex> the kubelet has cached. EEXIST when the
 * name or the ifindex is taken.
 */
export function createMacvtap(
  conn: NetlinkConn,
  seen: FirstSeen,
  now: f64,
  name: string,
  lower: string,
  mode: string,
  ifindex: i32 = 0,
): Answer {
  if (!isTempLinkName(name)) {
    return Answer.fail("EPERM", 'refusing to create "' + name + '": not a temp link name');
  }
  const modeValue = macvlanModeFromName(mode);
  if (modeValue == 0) return Answer.fail("EINVAL", 'unknown macvtap mode "' + mode + '"');
  const lowerLink = getLinkByName(conn, lower);
  if (lowerLink.error != null) return Answer.netlink(lowerLink.error!);
  if (lowerLink.value == null) return Answer.fail("ENODEV", 'lower device "' + lower + '" does not exist');
  const request = newMacvlanLink("macvtap", name, <u32> lowerLink.value!.index, modeValue, ifindex);
  request.txqlen = lowerLink.value!.txqlen;
  // Up in the same RTM_NEWLINK: if the kernel cannot bring it up, it unregisters the new link itself.
  request.setUp(true);
  const created = createLink(conn, request);
  if (created != null) {
    if (created.errno != EEXIST) return Answer.netlink(created);
    const what = ifindex > 0 ? 'link "' + name + '" or ifindex ' + ifindex.toString() : 'link "' + name + '"';
    return Answer.fail("EEXIST", what + " already exists");
  }
  const made = getLinkByName(conn, name);
  if (made.error != null) return Answer.netlink(made.error!);
  if (made.value == null) return Answer.fail("EIO", 'created "' + name + '" but it vanished at once');
  const index = made.value!.index;
  if (ifindex > 0 && index != ifindex) {
    // A kernel that ignores ifi_index on create: the /dev/tapN asked for would still not exist.
    deleteLink(conn, index);
    return Answer.fail(
      "EINVAL",
      'the kernel gave "' + name + '" ifindex ' + index.toString() + ", not " + ifindex.toString(),
    );
  }
  seen.touch(index, now);
  return Answer.ok(JsonValue.object().setNumber("ifindex", <f64> index).setString("name", name));
}

/** Deletes a temp macvtap; an absent link is {deleted: false}, anything else is refused with EPERM. */
export function deleteTempLink(conn: NetlinkConn, seen: FirstSeen, name: string): Answer {
  if (!isTempLinkName(name)) {
    return Answer.fail("EPERM", 'refusing to delete "' + name + '": not a temp link name');
  }
  const found = getLinkByName(conn, name);
  if (found.error != null) return Answer.netlink(found.error!);
  if (found.value == null) return Answer.ok(JsonValue.object().setBool("deleted", false));
  const link = found.value!;
  const kind = link.kind;
  if (kind == null || kind != "macvtap") {
    return Answer.fail("EPERM", 'refusing to delete "' + name + '": it is not a macvtap');
  }
  const error = deleteLink(conn, link.index);
  if (error != null && error.errno != ENODEV) return Answer.netlink(error);
  seen.forget(link.index);
  return Answer.ok(JsonValue.object().setBool("deleted", error == null));
}
