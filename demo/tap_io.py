#!/usr/bin/env python3
"""Frames through /dev/tapN, as QEMU moves them, for the demo.

  tap_io.py write <tap> <uid> <dst-mac> <src-mac> <text>   write one frame as <uid>
  tap_io.py read  <tap> <uid> <ethertype-hex> <seconds>    print the first frame of that type
  tap_io.py send  <ifname> <dst-mac> <text>                 send one frame from <ifname> (AF_PACKET)

macvtap queues carry a virtio_net_hdr (10 bytes) before every frame by default
(IFF_VNET_HDR), so writes prepend a zeroed one and reads skip it.
"""
import os
import select
import socket
import sys
import time

VNET_HDR = bytes(10)
ETHERTYPE = 0x88B5  # IEEE 802 local experimental


def mac_bytes(text):
    return bytes.fromhex(text.replace(":", ""))


def frame(dst, src, text):
    payload = text.encode().ljust(46, b"\0")
    return mac_bytes(dst) + mac_bytes(src) + ETHERTYPE.to_bytes(2, "big") + payload


def drop_to(uid):
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def write(tap, uid, dst, src, text):
    drop_to(int(uid))
    fd = os.open(tap, os.O_RDWR)
    os.write(fd, VNET_HDR + frame(dst, src, text))
    os.close(fd)


def read(tap, uid, ethertype, seconds):
    drop_to(int(uid))
    fd = os.open(tap, os.O_RDWR | os.O_NONBLOCK)
    deadline = time.monotonic() + float(seconds)
    wanted = int(ethertype, 16)
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        data = os.read(fd, 65536)[len(VNET_HDR):]
        if int.from_bytes(data[12:14], "big") == wanted:
            text = data[14:].rstrip(b"\0").decode(errors="replace")
            print(f"{data[6:12].hex(':')} > {data[0:6].hex(':')} type 0x{wanted:04x}: {text}")
            return 0
    print("no frame", file=sys.stderr)
    return 1


def send(ifname, dst, text):
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sock:
        sock.bind((ifname, 0))
        src = sock.getsockname()[4].hex(":")
        sock.send(frame(dst, src, text))


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    sys.exit({"write": write, "read": read, "send": send}[command](*args) or 0)
