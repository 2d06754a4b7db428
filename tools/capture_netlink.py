#!/usr/bin/env python3
"""Records the golden netlink bytes the AssemblyScript codec is tested against.

Usage (root; needs `ip` from iproute2 and `strace`):

    python3 tools/capture_netlink.py [OUTDIR]    # default cni-wasm/test/testdata/netlink

Everything is recorded from the running kernel in throwaway network namespaces
named mvcap-*, which are deleted at the end, also on failure. The machine's own
eth0 is only read (one RTM_GETLINK). Requests come from two independent sources,
never from the codec under test: iproute2 (`ip`), whose sendmsg() payloads are
taken from `strace -e write=all`, and small hand-packed requests sent through
Python's stdlib AF_NETLINK socket, whose replies are recorded as they arrive.

Each OUTDIR/*.hex file starts with a `#` header (what, how, kernel), then
sections `@name` holding one datagram each, laid out one line per header,
struct or attribute (nested attributes indented, long payloads wrapped at 16
bytes) with a `#` comment naming the field. Tests strip comments and spaces.
"""

import ctypes
import os
import platform
import random
import re
import select
import socket
import struct
import subprocess
import sys
import time

# Sibling module: `python3 tools/capture_netlink.py` puts tools/ first on sys.path.
from netlink_hex import (
    AF_INET, AF_INET6, AF_UNSPEC, CLONE_NEWNET, IFLA_EXT_MASK, IFLA_IFNAME, IFLA_INFO_DATA, IFLA_INFO_KIND,
    IFLA_LINK, IFLA_LINKINFO, IFLA_MACVLAN_MODE, IFLA_MTU, IFLA_PARENT_DEV_NAME, MACVLAN_MODE_BRIDGE,
    NETLINK_CAP_ACK, NETLINK_EXT_ACK, NETLINK_ROUTE, NLMSG_DONE, NLMSG_ERROR, NLM_F_ACK, NLM_F_CREATE,
    NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST, RTEXT_FILTER_SKIP_STATS, RTMGRP_LINK, RTM_GETADDR, RTM_GETLINK,
    RTM_GETROUTE, RTM_NEWLINK, SOL_NETLINK, format_datagram, ifinfomsg, nla, nla_str, nlmsg, synthesize_bond,
)

# ---- a NETLINK_ROUTE socket, optionally opened inside a named netns ----

class Rtnl:
    """A stdlib netlink socket; `netns` (a name under /run/netns) is entered only while opening it."""

    def __init__(self, netns=None, groups=0, ext_ack=True, cap_ack=True):
        with NetnsSwitch(netns):
            self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
        self.sock.bind((0, groups))
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, int(ext_ack))
        self.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, int(cap_ack))
        self.port = self.sock.getsockname()[0]
        self.seq = 1000

    def exchange(self, msg_type, flags, body):
        """Sends one request; returns (request bytes, reply datagrams up to the ACK/error/DONE)."""
        self.seq += 1
        request = nlmsg(msg_type, flags, self.seq, body)
        self.sock.send(request)
        datagrams = []
        while True:
            data = self.sock.recv(65536)
            datagrams.append(data)
            if self._ends_exchange(data):
                return request, datagrams

    def _ends_exchange(self, data):
        at = 0
        while at + 16 <= len(data):
            length, msg_type, _flags, seq, _pid = struct.unpack_from("=IHHII", data, at)
            if seq == self.seq and msg_type in (NLMSG_ERROR, NLMSG_DONE):
                return True
            at += (length + 3) & ~3
        return False

    def events(self, seconds):
        """Every datagram that arrives within `seconds`."""
        datagrams, deadline = [], time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if select.select([self.sock], [], [], left)[0]:
                datagrams.append(self.sock.recv(65536))
        return datagrams

    def close(self):
        self.sock.close()


class NetnsSwitch:
    """setns() into /run/netns/<name> and back (Python 3.11 has no os.setns, so through libc)."""
    libc = ctypes.CDLL(None, use_errno=True)

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        if self.name is None:
            return
        self.home = os.open("/proc/self/ns/net", os.O_RDONLY)
        self._setns(f"/run/netns/{self.name}")

    def __exit__(self, *exc):
        if self.name is None:
            return
        if self.libc.setns(self.home, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "cannot return to the original netns")
        os.close(self.home)

    def _setns(self, path):
        fd = os.open(path, os.O_RDONLY)
        try:
            if self.libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), f"setns {path}")
        finally:
            os.close(fd)


def ip(*args, check=True):
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)


def strace_sent(args, msg_types):
    """Runs `ip args` under strace; returns the payloads of its sendmsg() calls whose nlmsg_type is wanted."""
    out = subprocess.run(["strace", "-f", "-qq", "-e", "trace=sendmsg", "-e", "write=all", "-o", "/dev/stdout",
                          "ip", *args], check=True, capture_output=True, text=True).stdout
    buffers, current = [], None
    for line in out.splitlines():
        if re.search(r"\* \d+ bytes in buffer", line):
            current = bytearray()
            buffers.append(current)
        elif (m := re.match(r"\s*\| [0-9a-f]{5}  ((?:[0-9a-f]{2}\s{1,2})+)", line)) and current is not None:
            current.extend(bytes.fromhex(m.group(1)))
    return [bytes(b) for b in buffers if len(b) >= 16 and struct.unpack_from("=H", b, 4)[0] in msg_types]


# ---- scenarios ----

def build_node(ns):
    """lo, a veth pair, macvtaps in bridge and vepa mode, a macvlan, a bridge with a port, addresses, routes."""
    ip("-n", ns, "link", "set", "lo", "up")
    ip("-n", ns, "link", "add", "vlo0", "address", "02:00:00:00:00:01", "type", "veth",
       "peer", "name", "vlo1", "address", "02:00:00:00:00:02")
    ip("-n", ns, "link", "add", "br0", "address", "02:00:00:00:00:03", "type", "bridge")
    ip("-n", ns, "link", "set", "vlo1", "master", "br0")
    for dev in ("vlo0", "vlo1", "br0"):
        ip("-n", ns, "link", "set", dev, "up")
    base = random.randrange(1_000_000, 1_900_000)
    ip("-n", ns, "link", "add", "link", "vlo0", "name", "mvtb", "index", str(base), "address", "02:00:00:00:00:11",
       "type", "macvtap", "mode", "bridge")
    ip("-n", ns, "link", "add", "link", "vlo0", "name", "mvtv", "index", str(base + 1), "address",
       "02:00:00:00:00:12", "type", "macvtap", "mode", "vepa")
    ip("-n", ns, "link", "add", "link", "vlo0", "name", "mvl0", "address", "02:00:00:00:00:13", "type", "macvlan",
       "mode", "private")
    ip("-n", ns, "link", "set", "mvtb", "up")
    ip("-n", ns, "addr", "add", "10.1.2.3/24", "brd", "10.1.2.255", "dev", "vlo0")
    ip("-n", ns, "addr", "add", "fd00:1::3/64", "dev", "vlo0", "nodad")
    ip("-n", ns, "route", "add", "10.9.0.0/16", "via", "10.1.2.1", "dev", "vlo0", "metric", "50")
    ip("-n", ns, "-6", "route", "add", "fd00:9::/48", "via", "fd00:1::1", "dev", "vlo0")


def capture_dumps(ns):
    conn = Rtnl(ns)
    sections = []
    links_req, links = conn.exchange(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, ifinfomsg())
    sections += [("request", links_req, "RTM_GETLINK dump request (hand-packed)")]
    sections += [(f"reply-{i + 1}", d, "dump reply datagram") for i, d in enumerate(links)]
    filtered_req, filtered = conn.exchange(
        RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP,
        ifinfomsg() + nla(IFLA_EXT_MASK, struct.pack("=I", RTEXT_FILTER_SKIP_STATS)))
    skip_stats = [("request", filtered_req, "RTM_GETLINK dump with IFLA_EXT_MASK = RTEXT_FILTER_SKIP_STATS")]
    skip_stats += [(f"reply-{i + 1}", d, "dump reply datagram") for i, d in enumerate(filtered)]
    addr_req, addrs = conn.exchange(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, struct.pack("=BBBBI", 0, 0, 0, 0, 0))
    addr = [("request", addr_req, "RTM_GETADDR dump, all families")]
    addr += [(f"reply-{i + 1}", d, "dump reply datagram") for i, d in enumerate(addrs)]
    route = []
    for family, label in ((AF_INET, "ipv4"), (AF_INET6, "ipv6")):
        req, routes = conn.exchange(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP,
                                    struct.pack("=BBBBBBBBI", family, 0, 0, 0, 0, 0, 0, 0, 0))
        route += [(f"{label}-request", req, f"RTM_GETROUTE dump, {label}")]
        route += [(f"{label}-reply-{i + 1}", d, "dump reply datagram") for i, d in enumerate(routes)]
    conn.close()
    return {"link_dump": sections, "link_dump_skip_stats": skip_stats, "addr_dump": addr, "route_dump": route}


def build_routes_node(ns):
    """veths rt0..rt3 with default routes: IPv4 via rt0, IPv6 multipath via rt1 + rt2, table 100 via rt3."""
    ip("-n", ns, "link", "set", "lo", "up")
    for i in range(4):
        ip("-n", ns, "link", "add", f"rt{i}", "type", "veth", "peer", "name", f"rt{i}p")
        ip("-n", ns, "link", "set", f"rt{i}", "up")
        ip("-n", ns, "link", "set", f"rt{i}p", "up")
        ip("-n", ns, "addr", "add", f"10.{i + 2}.0.2/24", "dev", f"rt{i}")
        ip("-n", ns, "addr", "add", f"fd00:{i + 2}::2/64", "dev", f"rt{i}", "nodad")
    ip("-n", ns, "route", "add", "default", "via", "10.2.0.1", "dev", "rt0")
    ip("-n", ns, "route", "add", "10.8.0.0/16", "via", "10.3.0.1", "dev", "rt1")
    ip("-n", ns, "-6", "route", "add", "default", "nexthop", "via", "fd00:3::1", "dev", "rt1",
       "nexthop", "via", "fd00:4::1", "dev", "rt2")
    ip("-n", ns, "route", "add", "default", "via", "10.5.0.1", "dev", "rt3", "table", "100")


def capture_default_routes(ns):
    """One RTM_GETROUTE dump of every family (what the CNI and the broker send) in build_routes_node's netns."""
    conn = Rtnl(ns)
    req, routes = conn.exchange(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP,
                                struct.pack("=BBBBBBBBI", AF_UNSPEC, 0, 0, 0, 0, 0, 0, 0, 0))
    conn.close()
    indexes = {name: link_index(ns, name) for name in ("rt0", "rt1", "rt2", "rt3")}
    return [("request", req, "RTM_GETROUTE dump, all families; ifindexes " +
             " ".join(f"{k}={v}" for k, v in indexes.items())),
            *[(f"reply-{i + 1}", d, "dump reply datagram") for i, d in enumerate(routes)]]


def record_default_routes(out_dir):
    """route_default.hex, in a netns of its own (hostdev: the node's default-route interfaces)."""
    ns = f"mvcap-routes-{random.randrange(16 ** 6):06x}"
    ip("netns", "add", ns)
    try:
        build_routes_node(ns)
        write_fixture(f"{out_dir}/route_default.hex", "Default routes: main table (IPv4 single, IPv6 multipath), table 100",
                      ["Throwaway netns: veths rt0..rt3 (peers rt0p..rt3p) with 10.N.0.2/24 and fd00:N::2/64;",
                       "default via 10.2.0.1 dev rt0; 10.8.0.0/16 via 10.3.0.1 dev rt1; IPv6 default nexthop via",
                       "fd00:3::1 dev rt1 nexthop via fd00:4::1 dev rt2 (RTA_MULTIPATH); default via 10.5.0.1 dev rt3",
                       "table 100. Request hand-packed; the request's comment names each veth's ifindex."],
                      capture_default_routes(ns))
    finally:
        ip("netns", "del", ns, check=False)


def capture_errors(ns):
    """ACK, EEXIST with and without NETLINK_CAP_ACK / NETLINK_EXT_ACK, EINVAL with an ext-ack message, ENODEV."""
    sections = []
    create = ifinfomsg() + nla(IFLA_LINK, struct.pack("=I", link_index(ns, "vlo0"))) + nla_str(IFLA_IFNAME, "mvte") \
        + nla(IFLA_LINKINFO, nla_str(IFLA_INFO_KIND, "macvtap")
              + nla(IFLA_INFO_DATA, nla(IFLA_MACVLAN_MODE, struct.pack("=I", MACVLAN_MODE_BRIDGE))))
    flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL
    for label, ext, cap in (("capped", True, True), ("uncapped", True, False), ("plain", False, False)):
        conn = Rtnl(ns, ext_ack=ext, cap_ack=cap)
        if label == "capped":
            # Give the macvtap a unique ifindex (its /dev/tapN is global), then create it again.
            body = ifinfomsg(index=random.randrange(1_900_000, 2_000_000)) + create[16:]
            req, replies = conn.exchange(RTM_NEWLINK, flags, body)
            sections += [("ack-request", req, "RTM_NEWLINK CREATE|EXCL macvtap (hand-packed)"),
                         ("ack", replies[0], "ACK: NLMSG_ERROR with errno 0")]
            create = body
        req, replies = conn.exchange(RTM_NEWLINK, flags, create)
        sections += [(f"eexist-{label}-request", req, f"the same create again, socket {label}"),
                     (f"eexist-{label}", replies[0],
                      f"EEXIST, NETLINK_EXT_ACK={int(ext)} NETLINK_CAP_ACK={int(cap)}")]
        conn.close()
    conn = Rtnl(ns)
    mtu = ifinfomsg(index=link_index(ns, "vlo0")) + nla(IFLA_MTU, struct.pack("=I", 70000))
    req, replies = conn.exchange(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, mtu)
    sections += [("einval-request", req, "RTM_NEWLINK: MTU 70000 on a veth"),
                 ("einval", replies[0], "EINVAL with NLMSGERR_ATTR_MSG (and OFFS when the kernel gives it)")]
    req, replies = conn.exchange(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, ifinfomsg() + nla_str(IFLA_IFNAME, "nosuch0"))
    sections += [("enodev-request", req, "RTM_GETLINK by a name that does not exist"),
                 ("enodev", replies[0], "ENODEV")]
    req, replies = conn.exchange(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, ifinfomsg() + nla_str(IFLA_IFNAME, "vlo0"))
    sections += [("getlink-request", req, "RTM_GETLINK vlo0 with NLM_F_ACK"),
                 *[(f"getlink-reply-{i + 1}", d, "reply datagram") for i, d in enumerate(replies)]]
    conn.close()
    return sections


def capture_events(ns):
    """RTM_NEWLINK / RTM_DELLINK multicast events while `ip` creates, raises and deletes a veth pair."""
    listener = Rtnl(ns, groups=RTMGRP_LINK)
    ip("-n", ns, "link", "add", "evt0", "address", "02:00:00:00:00:21", "type", "veth", "peer", "name", "evt1",
       "address", "02:00:00:00:00:22")
    ip("-n", ns, "link", "set", "evt0", "up")
    ip("-n", ns, "link", "del", "evt0")
    datagrams = listener.events(0.5)
    listener.close()
    return [(f"event-{i + 1}", d, "multicast datagram (RTMGRP_LINK)") for i, d in enumerate(datagrams)]


def capture_iproute2_requests(ns, pod):
    """What iproute2 sends for the operations the CNI and the device plugin perform."""
    tap_index = random.randrange(1_000_000, 2_000_000)  # /dev/tapN is global: never an auto-numbered index
    cases = [
        ("newlink-macvtap-bridge", ["-n", ns, "link", "add", "link", "vlo0", "name", "mvt0", "index", str(tap_index),
                                    "type", "macvtap", "mode", "bridge"], {RTM_NEWLINK}),
        ("newlink-macvlan-vepa", ["-n", ns, "link", "add", "link", "vlo0", "name", "mvl9", "type", "macvlan",
                                  "mode", "vepa"], {RTM_NEWLINK}),
        ("setlink-configure", ["-n", ns, "link", "set", "dev", "mvt0", "name", "net1", "address", "02:42:ac:11:00:07",
                               "mtu", "1400", "up", "promisc", "on"], {RTM_NEWLINK}),
        ("setlink-netns", ["-n", ns, "link", "set", "dev", "mvl9", "netns", pod], {RTM_NEWLINK}),
        ("dellink", ["-n", ns, "link", "del", "dev", "net1"], {17}),
        ("newaddr-ipv4", ["-n", ns, "addr", "add", "10.1.3.4/24", "brd", "10.1.3.255", "dev", "vlo0"], {20}),
        ("newaddr-ipv6", ["-n", ns, "addr", "add", "fd00:3::4/64", "dev", "vlo0", "nodad"], {20}),
        ("newroute-ipv4", ["-n", ns, "route", "add", "10.8.0.0/16", "via", "10.1.3.1", "dev", "vlo0", "metric",
                           "100"], {24}),
        ("newroute-default", ["-n", ns, "route", "add", "default", "via", "10.1.3.1", "dev", "vlo0"], {24}),
        ("newroute-ipv6", ["-n", ns, "-6", "route", "add", "fd00:8::/48", "via", "fd00:3::1", "dev", "vlo0"], {24}),
        ("newroute-metrics", ["-n", ns, "route", "add", "10.9.0.0/16", "via", "10.1.3.1", "dev", "vlo0", "metric",
                              "100", "table", "100", "mtu", "1400", "advmss", "1360"], {24}),
        ("newroute-scope-table", ["-n", ns, "route", "add", "10.10.0.0/24", "dev", "vlo0", "scope", "link",
                                  "table", "1000"], {24}),
        ("newroute-ipv6-mtu", ["-n", ns, "-6", "route", "add", "fd00:9::/48", "via", "fd00:3::1", "dev", "vlo0",
                               "metric", "50", "mtu", "1280"], {24}),
        ("deladdr-ipv4", ["-n", ns, "addr", "del", "10.1.3.4/24", "dev", "vlo0"], {21}),
    ]
    sections = []
    for name, args, types in cases:
        sent = strace_sent(args, types)
        if len(sent) != 1:
            raise RuntimeError(f"{name}: expected one request from ip, strace saw {len(sent)}")
        sections.append((name, sent[0], "ip " + " ".join(a for a in args[2:])))
    return sections


def capture_eth0():
    """The machine's own eth0, read-only: a physical (virtio) NIC with IFLA_PARENT_DEV_NAME / BUS_NAME."""
    conn = Rtnl(None)
    req, replies = conn.exchange(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, ifinfomsg() + nla_str(IFLA_IFNAME, "eth0"))
    conn.close()
    return [("request", req, "RTM_GETLINK eth0 (host netns, read-only)"),
            *[(f"reply-{i + 1}", d, "reply datagram") for i, d in enumerate(replies)]]


def link_index(ns, name):
    out = ip("-n", ns, "-o", "link", "show", name).stdout
    return int(out.split(":", 1)[0])


def write_fixture(path, title, how, sections):
    kernel = platform.release()
    iproute2 = ip("-V").stdout.strip().split(",")[1].strip()
    header = [f"# {title}",
              f"# Recorded by tools/capture_netlink.py on kernel {kernel}, {iproute2}, {time.strftime('%Y-%m-%d')}.",
              *[f"# {h}" for h in how],
              "# Layout: `@name` starts a datagram; one line per header/struct/attribute, nested attributes",
              "# indented, long payloads wrapped at 16 bytes; `#` starts a comment. Host byte order (little-endian).",
              ""]
    body = []
    for name, data, description in sections:
        body += [f"@{name}  # {description}", *format_datagram(data), ""]
    with open(path, "w") as f:
        f.write("\n".join(header + body))


def main():
    if os.geteuid() != 0:
        sys.exit("capture_netlink: needs root (creates network namespaces)")
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "cni-wasm/test/testdata/netlink"
    os.makedirs(out_dir, exist_ok=True)
    suffix = f"{random.randrange(16 ** 6):06x}"
    node, pod = f"mvcap-node-{suffix}", f"mvcap-pod-{suffix}"
    ip("netns", "add", node)
    try:
        ip("netns", "add", pod)
        build_node(node)
        record(out_dir, node, pod)
    finally:
        for ns in (pod, node):
            ip("netns", "del", ns, check=False)
    record_default_routes(out_dir)


def record(out_dir, node, pod):
    how_ns = "Throwaway netns: lo, veth vlo0/vlo1 (vlo1 in bridge br0), macvtap mvtb (bridge, up), macvtap mvtv (vepa),"
    how_ns2 = "macvlan mvl0 (private) on vlo0; 10.1.2.3/24 and fd00:1::3/64 on vlo0; routes via 10.1.2.1 / fd00:1::1."
    for name, sections in capture_dumps(node).items():
        write_fixture(f"{out_dir}/{name}.hex", f"{name}: request and every reply datagram up to NLMSG_DONE",
                      [how_ns, how_ns2, "Requests hand-packed with Python struct; socket with NETLINK_EXT_ACK and "
                       "NETLINK_CAP_ACK."], sections)
    write_fixture(f"{out_dir}/errors.hex", "NLMSG_ERROR replies: ACK, EEXIST, EINVAL with ext-ack, ENODEV",
                  [how_ns, how_ns2, "Requests hand-packed; each section names the socket options in force."],
                  capture_errors(node))
    write_fixture(f"{out_dir}/link_events.hex", "RTM_NEWLINK/RTM_DELLINK multicast events (RTMGRP_LINK)",
                  ["A socket bound to RTMGRP_LINK in a throwaway netns while `ip` added veth evt0/evt1,",
                   "set evt0 up and deleted it; every datagram received within 0.5 s, in order."],
                  capture_events(node))
    write_fixture(f"{out_dir}/iproute2_requests.hex", "Requests iproute2 sends (encoder golden bytes)",
                  ["Payloads of ip's sendmsg() calls from `strace -e write=all`, in throwaway netns; nlmsg_seq is",
                   "whatever ip chose (tests copy it); IFLA_NET_NS_FD holds ip's own fd number."],
                  capture_iproute2_requests(node, pod))
    eth0 = capture_eth0()
    write_fixture(f"{out_dir}/link_eth0.hex", "The machine's eth0 (virtio NIC) by name, read-only",
                  ["RTM_GETLINK with IFLA_IFNAME eth0 and NLM_F_ACK in the host netns; reply then ACK."], eth0)
    write_fixture(f"{out_dir}/link_bond0.hex", "SYNTHETIC bond0: the kernel here has no bonding module",
                  ["Made by re-encoding the recorded eth0 RTM_NEWLINK (link_eth0.hex @reply-1): IFLA_IFNAME set to",
                   "\"bond0\", IFLA_PARENT_DEV_NAME/BUS_NAME dropped (a bond has no parent device), and",
                   "IFLA_LINKINFO { IFLA_INFO_KIND \"bond\" } appended. Not captured from a kernel."],
                  [("reply-1", synthesize_bond(eth0[1][1]), "bond0 RTM_NEWLINK (synthetic)")])


if __name__ == "__main__":
    main()
