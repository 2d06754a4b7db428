#!/usr/bin/python3
"""Raw Ethernet frames in and out of a macvtap's /dev/tapN and a link's AF_PACKET socket.

The datapath tests (integration/datapath_test.ts) start this helper inside a netns
(nsenter --net=...) and talk to it through JSON lines on stdout:
  {"event": "ready"}                 the tap or socket is open (capture: frames may now be sent)
  {"event": "frame", "hex": "..."}   one received Ethernet frame (tap: virtio header stripped)
  {"event": "sent", "bytes": N}      a frame was written
  {"event": "opened"}                open-tap succeeded
  {"event": "error", "errno": N, "name": "EACCES", "what": "..."}
  {"event": "deadline"}              capture ran out of time (the test decides what that means)

Commands:
  capture-link IFNAME               stream every frame the link receives (ETH_P_ALL)
  capture-tap PATH                  stream every frame read from the tap device
  send-link IFNAME HEX              send one frame out of the link
  send-tap PATH HEX                 write one frame into the tap device
  open-tap PATH                     only open the tap read/write (permission probe)
Options (before the command):
  --uid N --gid N                   drop to this uid/gid (no supplementary groups) before opening a tap,
                                    as KubeVirt's virt-launcher runs QEMU as 107:107
  --deadline-s S                    capture stops after S seconds (default 20)

A macvtap tap starts with IFF_VNET_HDR set (drivers/net/tap.c tap_open), so each read
begins with, and each write must begin with, a struct virtio_net_hdr (10 bytes, the
default vnet_hdr_sz). QEMU keeps that header; this helper does too and sends it zeroed
(no checksum offload, GSO none).
"""

import errno
import json
import os
import select
import socket
import sys
import time

VNET_HDR_LEN = 10  # sizeof(struct virtio_net_hdr), include/uapi/linux/virtio_net.h
ETH_P_ALL = 0x0003  # include/uapi/linux/if_ether.h
MAX_FRAME = 65536


def emit(event, **fields):
    print(json.dumps({"event": event, **fields}), flush=True)


def emit_os_error(what, error):
    emit("error", errno=error.errno, name=errno.errorcode.get(error.errno, "?"), what=what)


def drop_privileges(uid, gid):
    """setgroups([]) + setgid + setuid: the open() that follows is checked against these ids only."""
    if gid is not None:
        os.setgroups([])
        os.setgid(gid)
    if uid is not None:
        os.setuid(uid)


def open_tap(path):
    return os.open(path, os.O_RDWR | os.O_CLOEXEC)


def open_link_socket(ifname):
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind((ifname, 0))
    return sock


def stream_frames(read_frame, fileno, deadline_s):
    """Emits every frame until the deadline; the test kills us sooner once it saw what it wanted."""
    emit("ready")
    end = time.monotonic() + deadline_s
    while True:
        left = end - time.monotonic()
        if left <= 0:
            emit("deadline")
            return
        readable, _, _ = select.select([fileno], [], [], left)
        if readable:
            frame = read_frame()
            if frame:
                emit("frame", hex=frame.hex())


def capture_tap(path, deadline_s):
    fd = open_tap(path)

    def read_frame():
        data = os.read(fd, MAX_FRAME + VNET_HDR_LEN)
        return data[VNET_HDR_LEN:]

    stream_frames(read_frame, fd, deadline_s)


def capture_link(ifname, deadline_s):
    sock = open_link_socket(ifname)

    def read_frame():
        data, address = sock.recvfrom(MAX_FRAME)
        # address[2] is the packet type; PACKET_OUTGOING (4) frames are our own sends on this link.
        return data if address[2] != socket.PACKET_OUTGOING else b""

    stream_frames(read_frame, sock.fileno(), deadline_s)


def send_tap(path, frame):
    fd = open_tap(path)
    written = os.write(fd, bytes(VNET_HDR_LEN) + frame)
    emit("sent", bytes=written - VNET_HDR_LEN)


def send_link(ifname, frame):
    sock = open_link_socket(ifname)
    emit("sent", bytes=sock.send(frame))


def parse_options(argv):
    options = {"uid": None, "gid": None, "deadline_s": 20.0}
    while argv and argv[0].startswith("--"):
        name, value = argv[0], argv[1]
        argv = argv[2:]
        if name == "--uid":
            options["uid"] = int(value)
        elif name == "--gid":
            options["gid"] = int(value)
        elif name == "--deadline-s":
            options["deadline_s"] = float(value)
        else:
            raise SystemExit(f"frames.py: unknown option {name}")
    return options, argv


def main(argv):
    options, rest = parse_options(argv)
    if not rest:
        raise SystemExit("frames.py: missing command (see the module docstring)")
    command, args = rest[0], rest[1:]
    if command.endswith("-tap"):
        drop_privileges(options["uid"], options["gid"])
    try:
        if command == "capture-tap":
            capture_tap(args[0], options["deadline_s"])
        elif command == "capture-link":
            capture_link(args[0], options["deadline_s"])
        elif command == "send-tap":
            send_tap(args[0], bytes.fromhex(args[1]))
        elif command == "send-link":
            send_link(args[0], bytes.fromhex(args[1]))
        elif command == "open-tap":
            os.close(open_tap(args[0]))
            emit("opened")
        else:
            raise SystemExit(f"frames.py: unknown command {command}")
    except OSError as error:
        emit_os_error(f"{command} {args[0]}", error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
