// One broker process: answers request lines, and after "watch" forwards
// RTMGRP_LINK events (plus a link's new state when it gains or loses a default
// route). Requests and events use separate sockets so an event never lands in
// the middle of a request's answer.

import { JsonValue } from "../json/value";
import { parseJson } from "../json/parse";
import { stringify } from "../json/stringify";
import {
  RTM_DELLINK,
  RTM_DELROUTE,
  RTM_NEWLINK,
  RTM_NEWROUTE,
  RTMGRP_IPV4_ROUTE,
  RTMGRP_IPV6_ROUTE,
  RTMGRP_LINK,
} from "../netlink/constants";
import { NetlinkConn } from "../netlink/conn";
import { ENOBUFS } from "../netlink/errno";
import { LinkMessage } from "../netlink/link";
import { Message } from "../netlink/message";
import { RouteMessage } from "../netlink/route";
import { getLinkByIndex } from "../netlink/rtnl";
import { isDefaultRoute } from "../hostdev/default_route";
import { DefaultRoutes } from "./default_routes";
import { FirstSeen, linkToJson } from "./link_json";
import { Answer, createMacvtap, deleteTempLink, listAll } from "./operations";
import { listPeerMacvtaps } from "./peer_macvtaps";

export const PROTOCOL_VERSION = 1;

export class BrokerSession {
  events: NetlinkConn | null = null;
  private seen: FirstSeen = new FirstSeen();
  private defaultRoutes: DefaultRoutes = new DefaultRoutes();

  constructor(public requests: NetlinkConn) {}

  hello(): string {
    return line(
      JsonValue.object()
        .setString("hello", "macvtap-link-broker")
        .setNumber("version", PROTOCOL_VERSION)
        .setString("implementation", "nlmsg-codec wasm broker"),
    );
  }

  /** The answer line for one request line. */
  handle(text: string, now: f64): string {
    const parsed = parseJson(text);
    const request = parsed.value;
    if (request == null || !request.isObject) return errorLine(0, "EPROTO", "request is not a JSON object");
    const idValue = request.get("id");
    const id = idValue != null && idValue.isInteger && idValue.numberValue > 0 ? idValue.numberValue : 0;
    if (id == 0) return errorLine(0, "EPROTO", "request needs a positive integer id");
    const answer = this.run(request, now);
    if (answer.result == null) return errorLine(id, answer.code, answer.message);
    return line(JsonValue.object().setNumber("id", id).set("result", answer.result!));
  }

  private run(request: JsonValue, now: f64): Answer {
    const op = stringMember(request, "op");
    if (op == "list") {
      const routes = this.defaultRoutes.refresh(this.requests);
      if (routes.error != null) return Answer.netlink(routes.error!);
      return listAll(this.requests, this.seen, now, false, this.defaultRoutes.indexes);
    }
    if (op == "listTempLinks") {
      return listAll(this.requests, this.seen, now, true, this.defaultRoutes.indexes);
    }
    if (op == "watch") return this.watch();
    if (op == "deleteLink") return deleteTempLink(this.requests, this.seen, stringMember(request, "name"));
    if (op == "createMacvtap") {
      const name = stringMember(request, "name");
      const lower = stringMember(request, "lower");
      const ifindex = ifindexMember(request);
      if (ifindex < 0) {
        return Answer.fail("EPROTO", "createMacvtap: ifindex must be a positive 32-bit integer");
      }
      return createMacvtap(
        this.requests,
        this.seen,
        now,
        name,
        lower,
        stringMember(request, "mode"),
        ifindex,
      );
    }
    if (op == "listPeerMacvtaps") return listPeerMacvtaps(this.requests);
    return Answer.fail("EPROTO", 'unknown op "' + op + '"');
  }

  private watch(): Answer {
    if (this.events == null) {
      const opened = NetlinkConn.open(-1, RTMGRP_LINK | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE);
      if (opened.error != null) return Answer.netlink(opened.error!);
      this.events = opened.value;
    }
    // Subscribed first, then read: a default route added in between still arrives as an event.
    const routes = this.defaultRoutes.refresh(this.requests);
    if (routes.error != null) return Answer.netlink(routes.error!);
    return Answer.ok(JsonValue.object().setBool("watching", true));
  }

  /** Event lines for everything queued on the event socket (without waiting). */
  drainEvents(now: f64): string[] {
    const out = new Array<string>();
    const events = this.events;
    if (events == null) return out;
    while (true) {
      const next = events.recvEvent(0);
      if (next.error != null) {
        if (next.error!.errno != ENOBUFS) return out.concat([resyncLine(next.error!.toString())]);
        out.push(resyncLine("the kernel dropped link events (ENOBUFS)"));
        continue;
      }
      const message = next.value;
      if (message == null) return out;
      const type = message.header.type;
      if (type == RTM_NEWROUTE || type == RTM_DELROUTE) {
        this.routeEvent(message!, now, out);
        continue;
      }
      if (type != RTM_NEWLINK && type != RTM_DELLINK) continue;
      const decoded = LinkMessage.decode(message.payload);
      if (decoded.error != null) {
        out.push(resyncLine("undecodable link event: " + decoded.error!));
        continue;
      }
      out.push(this.eventLine(decoded.value!, type == RTM_NEWLINK, now));
    }
  }

  /** A default route came or went: the links whose flag changed are reported again, in full. */
  private routeEvent(message: Message, now: f64, out: string[]): void {
    const route = RouteMessage.decode(message.payload);
    if (route.error != null || !isDefaultRoute(route.value!)) return;
    const routes = this.defaultRoutes.refresh(this.requests);
    if (routes.error != null) {
      out.push(resyncLine("cannot list default routes: " + routes.error!.toString()));
      return;
    }
    for (let i = 0; i < routes.changed.length; i++) {
      const found = getLinkByIndex(this.requests, routes.changed[i]);
      if (found.value != null) out.push(this.eventLine(found.value!, true, now));
    }
  }

  private eventLine(link: LinkMessage, isNew: bool, now: f64): string {
    const firstSeen = this.seen.touch(link.index, now);
    if (!isNew) this.seen.forget(link.index);
    return line(
      JsonValue.object()
        .setString("event", "link")
        .setString("action", isNew ? "new" : "del")
        .set("link", linkToJson(link, firstSeen, this.defaultRoutes.indexes)),
    );
  }
}

function stringMember(request: JsonValue, key: string): string {
  const value = request.get(key);
  return value != null && value.isString ? value.stringValue : "";
}

/** The optional `ifindex` of a request: 0 when absent, -1 when it is not a positive 32-bit integer. */
function ifindexMember(request: JsonValue): i32 {
  const value = request.get("ifindex");
  if (value == null) return 0;
  if (!value.isInteger || value.numberValue < 1 || value.numberValue > 2147483647) return -1;
  return <i32> value.numberValue;
}

function line(value: JsonValue): string {
  return stringify(value) + "\n";
}

function errorLine(id: f64, code: string, message: string): string {
  const error = JsonValue.object().setString("code", code).setString("message", message);
  return line(JsonValue.object().setNumber("id", id).set("error", error));
}

function resyncLine(reason: string): string {
  return line(JsonValue.object().setString("event", "resync").setString("reason", reason));
}
