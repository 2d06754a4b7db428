"""Netlink wire helpers for tools/capture_netlink.py: the kernel constants it needs, requests packed by
hand with struct (independent of the codec under test), and the annotated hex layout of the fixtures.
"""

import struct

# ---- kernel constants (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h) ----
NETLINK_ROUTE = 0
SOL_NETLINK = 270
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11
CLONE_NEWNET = 0x40000000
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK = 0x1, 0x2, 0x4
NLM_F_DUMP, NLM_F_EXCL, NLM_F_CREATE = 0x300, 0x200, 0x400
NLM_F_CAPPED, NLM_F_ACK_TLVS = 0x100, 0x200
NLMSG_ERROR, NLMSG_DONE = 2, 3
RTM_NEWLINK, RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE = 16, 18, 22, 26
RTMGRP_LINK = 1
AF_UNSPEC, AF_INET, AF_INET6 = 0, 2, 10
IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_LINK, IFLA_LINKINFO = 1, 3, 4, 5, 18
IFLA_EXT_MASK, IFLA_PARENT_DEV_NAME, IFLA_PARENT_DEV_BUS_NAME = 29, 56, 57
IFLA_INFO_KIND, IFLA_INFO_DATA, IFLA_MACVLAN_MODE = 1, 2, 1
RTEXT_FILTER_SKIP_STATS = 1 << 3
MACVLAN_MODE_BRIDGE = 4

MSG_TYPES = {1: "NLMSG_NOOP", 2: "NLMSG_ERROR", 3: "NLMSG_DONE", 16: "RTM_NEWLINK", 17: "RTM_DELLINK",
             18: "RTM_GETLINK", 19: "RTM_SETLINK", 20: "RTM_NEWADDR", 21: "RTM_DELADDR", 22: "RTM_GETADDR",
             24: "RTM_NEWROUTE", 25: "RTM_DELROUTE", 26: "RTM_GETROUTE"}
IFLA_NAMES = {1: "IFLA_ADDRESS", 2: "IFLA_BROADCAST", 3: "IFLA_IFNAME", 4: "IFLA_MTU", 5: "IFLA_LINK",
              6: "IFLA_QDISC", 7: "IFLA_STATS", 10: "IFLA_MASTER", 13: "IFLA_TXQLEN", 14: "IFLA_MAP",
              16: "IFLA_OPERSTATE", 17: "IFLA_LINKMODE", 18: "IFLA_LINKINFO", 19: "IFLA_NET_NS_PID",
              20: "IFLA_IFALIAS", 23: "IFLA_STATS64", 26: "IFLA_AF_SPEC", 27: "IFLA_GROUP", 28: "IFLA_NET_NS_FD",
              29: "IFLA_EXT_MASK", 30: "IFLA_PROMISCUITY", 31: "IFLA_NUM_TX_QUEUES", 32: "IFLA_NUM_RX_QUEUES",
              33: "IFLA_CARRIER", 35: "IFLA_CARRIER_CHANGES", 37: "IFLA_LINK_NETNSID", 39: "IFLA_PROTO_DOWN",
              40: "IFLA_GSO_MAX_SEGS", 41: "IFLA_GSO_MAX_SIZE", 43: "IFLA_XDP", 44: "IFLA_EVENT",
              47: "IFLA_CARRIER_UP_COUNT", 48: "IFLA_CARRIER_DOWN_COUNT", 50: "IFLA_MIN_MTU", 51: "IFLA_MAX_MTU",
              52: "IFLA_PROP_LIST", 54: "IFLA_PERM_ADDRESS", 56: "IFLA_PARENT_DEV_NAME",
              57: "IFLA_PARENT_DEV_BUS_NAME", 58: "IFLA_GRO_MAX_SIZE", 59: "IFLA_TSO_MAX_SIZE",
              60: "IFLA_TSO_MAX_SEGS", 61: "IFLA_ALLMULTI", 63: "IFLA_GSO_IPV4_MAX_SIZE",
              64: "IFLA_GRO_IPV4_MAX_SIZE"}
LINKINFO_NAMES = {1: "IFLA_INFO_KIND", 2: "IFLA_INFO_DATA", 3: "IFLA_INFO_XSTATS", 4: "IFLA_INFO_SLAVE_KIND",
                  5: "IFLA_INFO_SLAVE_DATA"}
MACVLAN_NAMES = {1: "IFLA_MACVLAN_MODE", 2: "IFLA_MACVLAN_FLAGS", 3: "IFLA_MACVLAN_MACADDR_MODE",
                 6: "IFLA_MACVLAN_MACADDR_COUNT", 7: "IFLA_MACVLAN_BC_QUEUE_LEN",
                 8: "IFLA_MACVLAN_BC_QUEUE_LEN_USED", 9: "IFLA_MACVLAN_BC_CUTOFF"}
IFA_NAMES = {1: "IFA_ADDRESS", 2: "IFA_LOCAL", 3: "IFA_LABEL", 4: "IFA_BROADCAST", 6: "IFA_CACHEINFO",
             8: "IFA_FLAGS", 9: "IFA_RT_PRIORITY", 11: "IFA_PROTO"}
RTA_NAMES = {1: "RTA_DST", 2: "RTA_SRC", 3: "RTA_IIF", 4: "RTA_OIF", 5: "RTA_GATEWAY", 6: "RTA_PRIORITY",
             7: "RTA_PREFSRC", 8: "RTA_METRICS", 9: "RTA_MULTIPATH", 12: "RTA_CACHEINFO", 15: "RTA_TABLE",
             20: "RTA_PREF"}
RTAX_NAMES = {2: "RTAX_MTU", 8: "RTAX_ADVMSS"}
NLMSGERR_NAMES = {1: "NLMSGERR_ATTR_MSG", 2: "NLMSGERR_ATTR_OFFS", 3: "NLMSGERR_ATTR_COOKIE",
                  4: "NLMSGERR_ATTR_POLICY", 5: "NLMSGERR_ATTR_MISS_TYPE", 6: "NLMSGERR_ATTR_MISS_NEST"}


# ---- packing requests by hand (independent of the codec under test) ----

def nla(attr_type, payload):
    """One attribute, padded to 4 bytes."""
    data = struct.pack("=HH", 4 + len(payload), attr_type) + payload
    return data + b"\0" * (-len(data) % 4)


def nla_str(attr_type, text):
    return nla(attr_type, text.encode() + b"\0")


def nlmsg(msg_type, flags, seq, body):
    return struct.pack("=IHHII", 16 + len(body), msg_type, flags, seq, 0) + body


def ifinfomsg(index=0, flags=0, change=0, family=AF_UNSPEC):
    return struct.pack("=BxHiII", family, 0, index, flags, change)


def synthesize_bond(eth0_reply):
    """eth0's RTM_NEWLINK re-encoded as "bond0": IFLA_IFNAME replaced, IFLA_PARENT_DEV_* dropped, kind "bond"."""
    length, msg_type, flags, seq, pid = struct.unpack_from("=IHHII", eth0_reply, 0)
    body = eth0_reply[16:32]
    at, attrs = 32, b""
    while at + 4 <= length:
        alen, atype = struct.unpack_from("=HH", eth0_reply, at)
        kind = atype & 0x3FFF
        if kind == IFLA_IFNAME:
            attrs += nla_str(IFLA_IFNAME, "bond0")
        elif kind not in (IFLA_PARENT_DEV_NAME, IFLA_PARENT_DEV_BUS_NAME, IFLA_LINKINFO):
            attrs += eth0_reply[at:at + ((alen + 3) & ~3)]
        at += (alen + 3) & ~3
    attrs += nla(IFLA_LINKINFO, nla_str(IFLA_INFO_KIND, "bond"))
    return struct.pack("=IHHII", 16 + len(body) + len(attrs), msg_type, flags, seq, pid) + body + attrs


# ---- annotated hex layout ----

def hexrow(data, indent, comment):
    rows = [data[i:i + 16] for i in range(0, len(data), 16)] or [b""]
    lines = []
    for i, row in enumerate(rows):
        text = "  " * indent + " ".join(f"{b:02x}" for b in row)
        lines.append(f"{text:<60} # {comment}" if i == 0 and comment else text)
    return lines


def attr_value(data):
    text = data[:-1] if data.endswith(b"\0") else data
    if len(text) > 0 and all(32 <= b < 127 for b in text):
        return f'"{text.decode()}"' + ("" if data.endswith(b"\0") else " (no NUL)")
    if len(data) in (1, 2, 4):
        return f"= {int.from_bytes(data, 'little')}"
    return f"({len(data)} bytes)"


NESTED = {("link", 18): ("linkinfo", LINKINFO_NAMES), ("linkinfo", 2): ("macvlan", MACVLAN_NAMES),
          ("route", 8): ("metrics", RTAX_NAMES)}
TABLES = {"link": IFLA_NAMES, "addr": IFA_NAMES, "route": RTA_NAMES, "ack": NLMSGERR_NAMES,
          "linkinfo": LINKINFO_NAMES, "macvlan": MACVLAN_NAMES, "metrics": RTAX_NAMES}


def format_attrs(data, scope, indent):
    lines, at = [], 0
    names = TABLES.get(scope, {})
    while at + 4 <= len(data):
        alen, atype = struct.unpack_from("=HH", data, at)
        if alen < 4 or at + alen > len(data):
            return lines + hexrow(data[at:], indent, "malformed remainder")
        kind = atype & 0x3FFF
        payload = data[at + 4:at + alen]
        padded = (alen + 3) & ~3
        name = names.get(kind, f"type {kind}")
        nest = NESTED.get((scope, kind))
        if nest and not (scope == "linkinfo" and not is_macv(data)):
            lines += hexrow(data[at:at + 4], indent, f"{name} (nested, {alen} bytes)")
            lines += format_attrs(payload, nest[0], indent + 1)
            lines += hexrow(data[at + alen:at + padded], indent + 1, "padding") if padded > alen else []
        else:
            lines += hexrow(data[at:at + padded], indent, f"{name} {attr_value(payload)}")
        at += padded
    return lines + (hexrow(data[at:], indent, "trailing bytes") if at < len(data) else [])


def is_macv(linkinfo):
    return b"macvtap\0" in linkinfo or b"macvlan\0" in linkinfo


FIXED = {16: ("ifinfomsg", 16, "link"), 17: ("ifinfomsg", 16, "link"), 18: ("ifinfomsg", 16, "link"),
         19: ("ifinfomsg", 16, "link"), 20: ("ifaddrmsg", 8, "addr"), 21: ("ifaddrmsg", 8, "addr"),
         22: ("ifaddrmsg", 8, "addr"), 24: ("rtmsg", 12, "route"), 25: ("rtmsg", 12, "route"),
         26: ("rtmsg", 12, "route")}


def format_datagram(data):
    lines, at = [], 0
    while at + 16 <= len(data):
        length, msg_type, flags, seq, pid = struct.unpack_from("=IHHII", data, at)
        name = MSG_TYPES.get(msg_type, f"type {msg_type}")
        lines += hexrow(data[at:at + 16], 0, f"nlmsghdr len={length} {name} flags=0x{flags:x} seq={seq} pid={pid}")
        body = data[at + 16:at + length]
        lines += format_body(msg_type, flags, body)
        padded = (length + 3) & ~3
        lines += hexrow(data[at + length:at + padded], 1, "padding") if padded > length else []
        at += padded
    return lines + (hexrow(data[at:], 0, "trailing bytes") if at < len(data) else [])


def format_body(msg_type, flags, body):
    if msg_type in FIXED:
        struct_name, size, scope = FIXED[msg_type]
        return hexrow(body[:size], 1, struct_name) + format_attrs(body[size:], scope, 1)
    if msg_type == NLMSG_DONE:
        lines = hexrow(body[:4], 1, "errno") if body else []
        return lines + format_attrs(body[4:], "ack", 1)
    if msg_type == NLMSG_ERROR:
        errno = struct.unpack_from("=i", body, 0)[0]
        lines = hexrow(body[:4], 1, f"error = {errno}")
        echo_len = 16 if flags & NLM_F_CAPPED else (struct.unpack_from("=I", body, 4)[0] + 3) & ~3
        lines += hexrow(body[4:20], 1, "echoed request header")
        lines += hexrow(body[20:4 + echo_len], 1, "echoed request payload") if echo_len > 16 else []
        return lines + format_attrs(body[4 + echo_len:], "ack", 1)
    return hexrow(body, 1, "payload")
