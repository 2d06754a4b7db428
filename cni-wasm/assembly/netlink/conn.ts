// A NETLINK_ROUTE connection over the capability host's imports (see
// ../imports/bindings.ts): request/ACK, request/reply, multipart dumps and
// multicast events. Every reply is matched to its request by nlmsg_seq and by
// our port id; anything else that arrives in between (a stale reply, an event)
// is drained, and events are kept for recvEvent() when the socket joined groups.

import { host_nl_close, host_nl_open, host_nl_port, host_nl_recv, host_nl_send } from "../imports/bindings";
import {
  NLM_F_ACK,
  NLM_F_DUMP_INTR,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_MIN_TYPE,
  NLMSG_OVERRUN,
} from "./constants";
import { EAGAIN, EBADF, EBADMSG, EINTR, EMSGSIZE, ENOBUFS, ETIMEDOUT } from "./errno";
import { decodeDonePayload, decodeErrorMessage, NetlinkError, Result } from "./error";
import { addMessageFlags, Message, MessageDecoder, setMessageSeq } from "./message";

/** Receive buffer. The kernel caps dump datagrams near 32 KiB; twice that leaves room for one big message. */
export const RECEIVE_BUFFER_SIZE: i32 = 64 * 1024;

/**
 * How long to wait for the kernel's answer. rtnetlink answers within the send; this only guards a stuck host.
 */
export const DEFAULT_REPLY_TIMEOUT_MS: i32 = 10_000;

/**
 * Events kept for recvEvent; beyond this the oldest are dropped and recvEvent reports ENOBUFS, as the kernel
 * does.
 */
export const MAX_QUEUED_EVENTS: i32 = 4096;

/**
 * What an exchange collected: the reply messages before the ACK or NLMSG_DONE, or the error that ended it.
 */
class Exchange {
  messages: Message[] = [];
  error: NetlinkError | null = null;
}

/**
 * One NETLINK_ROUTE socket, opened through the capability host in a given netns.
 *
 * @example
 * ```ts no-run
 * import { NetlinkConn } from "./conn";
 * import { getLinkByName, setLink } from "./rtnl";
 *
 * // In the netns the plugin runs in (-1), joined to no multicast group (0).
 * const opened = NetlinkConn.open(-1, 0);
 * if (opened.error != null) return; // opened.error!.toString(): "nl_open: EMFILE (24): ..."
 * const conn = opened.value!;
 * const found = getLinkByName(conn, "eth0");
 * if (found.error == null && found.value != null) {
 *   const change = found.value!;
 *   change.setUp(true);
 *   const error = setLink(conn, change); // null: the kernel acknowledged it
 * }
 * conn.close();
 * ```
 */
export class NetlinkConn {
  /** Our port id (nl_pid): replies carry it, so anything without it is not ours. */
  readonly port: u32;
  /** Milliseconds request()/call()/dump() wait for each datagram of the answer. */
  replyTimeoutMs: i32 = DEFAULT_REPLY_TIMEOUT_MS;
  private seq: u32 = 0;
  private buf: Uint8Array = new Uint8Array(RECEIVE_BUFFER_SIZE);
  private events: Message[] = [];
  private eventsLost: bool = false;
  private closed: bool = false;

  private constructor(
    private sock: i32,
    port: u32,
    private groups: u32,
  ) {
    this.port = port;
  }

  /**
   * Opens a socket in the netns behind `netns` (a handle from netns_open, or -1
   * for the host's own), joined to the multicast `groups` bitmask (RTMGRP_LINK; 0 for none).
   */
  static open(netns: i32, groups: u32): Result<NetlinkConn> {
    const sock = host_nl_open(netns, groups);
    if (sock < 0) {
      return Result.fail<NetlinkConn>(new NetlinkError("nl_open", -sock, "cannot open a netlink socket"));
    }
    const portOut = new Uint32Array(1);
    const status = host_nl_port(sock, portOut.dataStart);
    if (status < 0) {
      host_nl_close(sock);
      return Result.fail<NetlinkConn>(
        new NetlinkError("nl_port", -status, "cannot read the socket's port id"),
      );
    }
    return Result.ok<NetlinkConn>(new NetlinkConn(sock, portOut[0], groups));
  }

  /** The host's socket handle, for waiting on several sockets at once (wait_readable). */
  get handle(): i32 {
    return this.sock;
  }

  /** True when events already received (while waiting for an answer) are queued for recvEvent(). */
  get hasQueuedEvents(): bool {
    return this.events.length > 0;
  }

  /** Closes the socket; later calls fail with EBADF. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    host_nl_close(this.sock);
  }

  // request(), call() and dump() stamp the next nlmsg_seq (and NLM_F_ACK) into `message` before sending it.

  /**
   * Sends a request that changes something and waits for its ACK (NLM_F_ACK is added). Null means success.
   */
  request(message: Uint8Array, op: string): NetlinkError | null {
    return this.exchange(message, op, NLM_F_ACK, false).error;
  }

  /** Sends a request that returns data (a GET without NLM_F_DUMP) and collects the replies before its ACK. */
  call(message: Uint8Array, op: string): Result<Message[]> {
    const x = this.exchange(message, op, NLM_F_ACK, false);
    return x.error != null ? Result.fail<Message[]>(x.error!) : Result.ok<Message[]>(x.messages);
  }

  /**
   * Sends a dump request (the caller sets NLM_F_DUMP) and collects every
   * message up to NLMSG_DONE, across datagrams. An error inside the dump ends
   * it with that error. When the kernel flags the dump inconsistent
   * (NLM_F_DUMP_INTR) the messages come back with an EINTR error: retry.
   */
  dump(message: Uint8Array, op: string): Result<Message[]> {
    const x = this.exchange(message, op, 0, true);
    return new Result<Message[]>(x.error == null || x.error!.errno == EINTR ? x.messages : null, x.error);
  }

  /**
   * The next multicast message (RTM_NEWLINK / RTM_DELLINK for RTMGRP_LINK),
   * waiting at most timeoutMs (-1 = forever). Value and error both null: timeout.
   * ENOBUFS means the kernel dropped events: re-list to resynchronize.
   */
  recvEvent(timeoutMs: i32): Result<Message> {
    if (this.eventsLost) {
      this.eventsLost = false;
      return Result.fail<Message>(
        new NetlinkError(
          "event receive",
          ENOBUFS,
          "more than " +
            MAX_QUEUED_EVENTS.toString() + " events were waiting; the oldest were dropped",
        ),
      );
    }
    if (this.events.length > 0) return Result.ok<Message>(this.events.shift());
    const n = this.receive(timeoutMs);
    if (n == -EAGAIN) return Result.ok<Message>(null);
    if (n < 0) return Result.fail<Message>(this.receiveError("event receive", -n, 0));
    const d = new MessageDecoder(this.buf, n);
    while (d.next()) {
      if (d.header.type >= NLMSG_MIN_TYPE) this.queueEvent(d.message());
    }
    if (d.error != null) return Result.fail<Message>(new NetlinkError("event receive", EBADMSG, d.error!));
    return Result.ok<Message>(this.events.length > 0 ? this.events.shift() : null);
  }

  private exchange(message: Uint8Array, op: string, addFlags: u16, isDump: bool): Exchange {
    const x = new Exchange();
    if (this.closed) {
      x.error = new NetlinkError(op, EBADF, "the connection is closed");
      return x;
    }
    const seq = this.nextSeq();
    setMessageSeq(message, seq);
    if (addFlags != 0) addMessageFlags(message, addFlags);
    const sent = host_nl_send(this.sock, message.dataStart, message.length);
    if (sent < 0) {
      x.error = new NetlinkError(op, -sent, "cannot send the request", seq);
      return x;
    }
    let complete = false;
    while (!complete) complete = this.receiveAnswer(x, op, seq, isDump);
    return x;
  }

  /** Receives one datagram and files its messages; true once the answer is complete (or failed). */
  private receiveAnswer(x: Exchange, op: string, seq: u32, isDump: bool): bool {
    const n = this.receive(this.replyTimeoutMs);
    if (n < 0) {
      x.error = this.receiveError(op, -n, seq);
      return true;
    }
    const d = new MessageDecoder(this.buf, n);
    while (d.next()) {
      const h = d.header;
      if (h.seq != seq || h.pid != this.port) {
        this.drain(d);
        continue;
      }
      if (h.type == NLMSG_ERROR) {
        const e = decodeErrorMessage(op, h, d.payload());
        if (!e.isAck) x.error = e;
        return true;
      }
      if (h.type == NLMSG_DONE && isDump) {
        const e = decodeDonePayload(op, h, d.payload());
        if (!e.isAck) x.error = e;
        return true;
      }
      if (h.type == NLMSG_OVERRUN) {
        x.error = new NetlinkError(op, ENOBUFS, "the kernel reported NLMSG_OVERRUN", seq);
        return true;
      }
      if ((h.flags & NLM_F_DUMP_INTR) != 0 && x.error == null) {
        x.error = new NetlinkError(
          op,
          EINTR,
          "dump interrupted by a concurrent change (NLM_F_DUMP_INTR); retry",
          seq,
        );
      }
      if (h.type >= NLMSG_MIN_TYPE) x.messages.push(d.message());
    }
    if (d.error != null) {
      x.error = new NetlinkError(op, EBADMSG, d.error!, seq);
      return true;
    }
    return false;
  }

  /** A message that is not part of the answer: keep it when it is an event this socket asked for. */
  private drain(d: MessageDecoder): void {
    if (this.groups != 0 && d.header.seq == 0 && d.header.type >= NLMSG_MIN_TYPE) {
      this.queueEvent(d.message());
    }
  }

  private queueEvent(event: Message): void {
    if (this.events.length >= MAX_QUEUED_EVENTS) {
      this.events.shift();
      this.eventsLost = true;
    }
    this.events.push(event);
  }

  private receive(timeoutMs: i32): i32 {
    if (this.closed) return -EBADF;
    const n = host_nl_recv(this.sock, this.buf.dataStart, this.buf.length, timeoutMs);
    // A datagram that fills the buffer may have been cut (the host cannot report MSG_TRUNC).
    return n >= this.buf.length ? -EMSGSIZE : n;
  }

  private receiveError(op: string, errno: i32, seq: u32): NetlinkError {
    if (errno == EAGAIN) {
      return new NetlinkError(
        op,
        ETIMEDOUT,
        "no answer within " + this.replyTimeoutMs.toString() + " ms",
        seq,
      );
    }
    if (errno == EMSGSIZE) {
      const size = this.buf.length.toString();
      const why = "a datagram filled the " + size + "-byte receive buffer and may be truncated";
      return new NetlinkError(op, EMSGSIZE, why, seq);
    }
    return new NetlinkError(op, errno, "cannot receive the answer", seq);
  }

  /** 1, 2, ... skipping 0, which multicast events carry. */
  private nextSeq(): u32 {
    this.seq++;
    if (this.seq == 0) this.seq = 1;
    return this.seq;
  }
}
