// Netlink errors: NLMSG_ERROR replies (errno 0 is an ACK), the errno a dump ends
// with (NLMSG_DONE with NLM_F_MULTI and a payload), and extended ACK TLVs. The
// error path never produces a second error: malformed TLVs are ignored and the
// errno is kept, as mdlayher/netlink does.

import { NLMSG_HDRLEN, nlmsgAlign } from "./align";
import { AttributeDecoder } from "./attribute";
import {
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLMSGERR_ATTR_MISS_NEST,
  NLMSGERR_ATTR_MISS_TYPE,
  NLMSGERR_ATTR_MSG,
  NLMSGERR_ATTR_OFFS,
} from "./constants";
import { EBADMSG, errnoName, errnoText } from "./errno";
import { NlMsgHdr } from "./message";

export { errnoName, errnoText } from "./errno";

/** A failed netlink operation (or an ACK while errno is 0). */
export class NetlinkError {
  /** Offset of the offending attribute in our request (NLMSGERR_ATTR_OFFS), -1 when not given. */
  offset: i32 = -1;
  /** Type of a missing required attribute (NLMSGERR_ATTR_MISS_TYPE), -1 when not given. */
  missingType: i32 = -1;
  /** Offset of the nest that lacks it (NLMSGERR_ATTR_MISS_NEST), -1 when not given. */
  missingNest: i32 = -1;

  constructor(
    /** What was attempted, e.g. "RTM_NEWLINK" or "RTM_GETLINK dump". */
    public op: string,
    /** Positive errno (EEXIST = 17); 0 only for an ACK. */
    public errno: i32,
    /** Extended ACK message from the kernel (NLMSGERR_ATTR_MSG), or our own explanation; "" when none. */
    public message: string = "",
    /** nlmsg_seq of the request this answers. */
    public seq: u32 = 0,
  ) {}

  get isAck(): bool {
    return this.errno == 0;
  }

  /** `RTM_NEWLINK: EEXIST (17): File exists, message: "...", offset 36`. */
  toString(): string {
    let text = this.op + ": " + errnoName(this.errno) + " (" + this.errno.toString() + "): " +
      errnoText(this.errno);
    if (this.message.length > 0) text += ', message: "' + this.message + '"';
    if (this.offset >= 0) text += ", offset " + this.offset.toString();
    if (this.missingType >= 0) text += ", missing attribute " + this.missingType.toString();
    if (this.missingNest >= 0) text += " in the nest at offset " + this.missingNest.toString();
    return text;
  }
}

/** struct nlmsgerr's `int error`: 4 bytes before the echoed request. */
const ERRNO_LENGTH: i32 = 4;

/**
 * Decodes an NLMSG_ERROR payload (struct nlmsgerr, then extended ACK TLVs when
 * NLM_F_ACK_TLVS is set). The echoed request is just its header when
 * NLM_F_CAPPED is set, otherwise the whole request, whose own nlmsg_len says
 * how far to skip.
 *
 * @example
 * ```ts
 * import { NLM_F_ACK_TLVS, NLM_F_CAPPED, NLMSG_ERROR, NLMSGERR_ATTR_MSG } from "./constants";
 * import { EINVAL } from "./errno";
 * import { decodeErrorMessage } from "./error";
 * import { MessageBuilder, MessageDecoder } from "./message";
 *
 * // The kernel refusing an RTM_NEWLINK: -EINVAL, our request's header echoed, and a message.
 * const b = new MessageBuilder(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, 5);
 * b.writer.i32(-EINVAL);
 * b.writer.zeros(16);
 * b.attrs.string(NLMSGERR_ATTR_MSG, "mtu greater than device maximum");
 * const d = new MessageDecoder(b.build()!);
 * d.next();
 * const error = decodeErrorMessage("RTM_NEWLINK", d.header, d.payload());
 * assert(error.errno == EINVAL && !error.isAck && error.seq == 5);
 * assert(error.toString() ==
 *   'RTM_NEWLINK: EINVAL (22): Invalid argument, message: "mtu greater than device maximum"');
 * ```
 */
export function decodeErrorMessage(op: string, header: NlMsgHdr, payload: Uint8Array): NetlinkError {
  const failure = readErrno(op, header, payload);
  if (payload.length < ERRNO_LENGTH || (header.flags & NLM_F_ACK_TLVS) == 0) return failure;
  let tlvStart = ERRNO_LENGTH + NLMSG_HDRLEN;
  if ((header.flags & NLM_F_CAPPED) == 0 && payload.length >= tlvStart) {
    const echoedLength = <i32> load<u32>(payload.dataStart, ERRNO_LENGTH);
    if (echoedLength < NLMSG_HDRLEN) return failure; // malformed echo: keep the errno, skip the TLVs
    tlvStart = ERRNO_LENGTH + nlmsgAlign(echoedLength);
  }
  if (tlvStart <= payload.length) readExtendedAck(failure, payload, tlvStart);
  return failure;
}

/**
 * Decodes the payload of NLMSG_DONE: a dump's final errno (0 when it went well),
 * followed by extended ACK TLVs when NLM_F_ACK_TLVS is set. An empty payload,
 * as old kernels sent, means success.
 *
 * @example
 * ```ts
 * import { NLM_F_MULTI, NLMSG_DONE } from "./constants";
 * import { EBUSY } from "./errno";
 * import { decodeDonePayload } from "./error";
 * import { MessageBuilder, MessageDecoder } from "./message";
 *
 * const busy = new MessageBuilder(NLMSG_DONE, NLM_F_MULTI, 9);
 * busy.writer.i32(-EBUSY);
 * const d = new MessageDecoder(busy.build()!);
 * d.next();
 * assert(decodeDonePayload("RTM_GETLINK dump", d.header, d.payload()).errno == EBUSY);
 * assert(decodeDonePayload("RTM_GETLINK dump", d.header, new Uint8Array(0)).isAck);
 * ```
 */
export function decodeDonePayload(op: string, header: NlMsgHdr, payload: Uint8Array): NetlinkError {
  if (payload.length == 0) return new NetlinkError(op, 0, "", header.seq);
  const failure = readErrno(op, header, payload);
  if ((header.flags & NLM_F_ACK_TLVS) != 0 && payload.length >= ERRNO_LENGTH) {
    readExtendedAck(failure, payload, ERRNO_LENGTH);
  }
  return failure;
}

/** The negated errno in the first 4 bytes; EBADMSG with an explanation when it cannot be one. */
function readErrno(op: string, header: NlMsgHdr, payload: Uint8Array): NetlinkError {
  if (payload.length < ERRNO_LENGTH) {
    return new NetlinkError(
      op,
      EBADMSG,
      "error payload is " + payload.length.toString() + " bytes, too short for an errno",
      header.seq,
    );
  }
  const raw = load<i32>(payload.dataStart);
  if (raw > 0 || raw == i32.MIN_VALUE) {
    return new NetlinkError(
      op,
      EBADMSG,
      "error payload holds " + raw.toString() + ", not a negated errno",
      header.seq,
    );
  }
  return new NetlinkError(op, -raw, "", header.seq);
}

/** Reads NLMSGERR_ATTR_* into failure; any malformed TLV is skipped, never reported. */
function readExtendedAck(failure: NetlinkError, payload: Uint8Array, start: i32): void {
  const d = new AttributeDecoder(payload, start);
  while (d.next()) {
    switch (d.type()) {
      case NLMSGERR_ATTR_MSG:
        failure.message = d.string();
        break;
      case NLMSGERR_ATTR_OFFS:
        if (d.length() == 4) failure.offset = <i32> d.u32();
        break;
      case NLMSGERR_ATTR_MISS_TYPE:
        if (d.length() == 4) failure.missingType = <i32> d.u32();
        break;
      case NLMSGERR_ATTR_MISS_NEST:
        if (d.length() == 4) failure.missingNest = <i32> d.u32();
        break;
    }
  }
}

/** A value, or the NetlinkError that prevented it. With both null: "nothing there" (e.g. no such link). */
export class Result<T> {
  constructor(
    public value: T | null,
    public error: NetlinkError | null,
  ) {}

  static ok<T>(value: T | null): Result<T> {
    return new Result<T>(value, null);
  }

  static fail<T>(error: NetlinkError): Result<T> {
    return new Result<T>(null, error);
  }
}
