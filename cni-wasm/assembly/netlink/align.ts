// Alignment and header sizes of netlink messages and attributes, each under the
// linux/netlink.h macro it reproduces, so the two can be compared at a glance.

// NLMSG_ALIGNTO: messages start on 4-byte boundaries.
export const NLMSG_ALIGNTO: i32 = 4;

/**
 * NLMSG_ALIGN(len): rounds len up to the next NLMSG_ALIGNTO boundary.
 *
 * @example
 * ```ts
 * import { nlmsgAlign } from "./align";
 *
 * assert(nlmsgAlign(17) == 20);
 * assert(nlmsgAlign(20) == 20);
 * ```
 */
export function nlmsgAlign(len: i32): i32 {
  return (len + NLMSG_ALIGNTO - 1) & ~(NLMSG_ALIGNTO - 1);
}

// NLMSG_HDRLEN: size of struct nlmsghdr, already aligned (16).
export const NLMSG_HDRLEN: i32 = 16;

/**
 * NLMSG_LENGTH(len): nlmsg_len of a message whose payload is len bytes.
 *
 * @example
 * ```ts
 * import { nlmsgLength, nlmsgSpace } from "./align";
 *
 * // An RTM_GETLINK with a bare struct ifinfomsg (16 bytes): nlmsg_len 32, and it occupies 32.
 * assert(nlmsgLength(16) == 32);
 * // A 5-byte payload: nlmsg_len 21, but the next message starts 24 bytes on.
 * assert(nlmsgLength(5) == 21 && nlmsgSpace(5) == 24);
 * ```
 */
export function nlmsgLength(len: i32): i32 {
  return len + NLMSG_HDRLEN;
}

/** NLMSG_SPACE(len): bytes a message with a len-byte payload occupies, padding included. */
export function nlmsgSpace(len: i32): i32 {
  return nlmsgAlign(nlmsgLength(len));
}

// NLA_ALIGNTO: attributes start on 4-byte boundaries.
export const NLA_ALIGNTO: i32 = 4;

/**
 * NLA_ALIGN(len): rounds len up to the next NLA_ALIGNTO boundary.
 *
 * @example
 * ```ts
 * import { NLA_HDRLEN, nlaAlign } from "./align";
 *
 * // IFLA_IFNAME "eth0" with its NUL: nla_len 9, and the next attribute 12 bytes on.
 * assert(NLA_HDRLEN + 5 == 9 && nlaAlign(NLA_HDRLEN + 5) == 12);
 * ```
 */
export function nlaAlign(len: i32): i32 {
  return (len + NLA_ALIGNTO - 1) & ~(NLA_ALIGNTO - 1);
}

// NLA_HDRLEN: size of struct nlattr (u16 nla_len, u16 nla_type), already aligned (4).
export const NLA_HDRLEN: i32 = 4;
