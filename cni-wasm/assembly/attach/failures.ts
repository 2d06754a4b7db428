// Turning netlink and host errno values into CNI errors that say what failed,
// on which link, and keep the kernel's own words in details.

import { CniError, ERR_INVALID_ENV, ERR_NETLINK, ERR_UNKNOWN_CONTAINER } from "../cni/errors";
import { NetlinkError } from "../netlink/error";
import { errnoName, errnoText } from "../netlink/errno";
import { EINVAL, ENOENT } from "../netlink/errno";

/** A failed netlink step: "<context>: <errno text> (<kernel message>)", full error in details. */
export function netlinkFailure(context: string, error: NetlinkError): CniError {
  let msg = context + ": " + errnoText(error.errno);
  if (error.message.length > 0) msg += " (" + error.message + ")";
  return new CniError(ERR_NETLINK, msg, error.toString());
}

/** netns_open failed for CNI_NETNS. */
export function netnsFailure(path: string, errno: i32): CniError {
  if (errno == ENOENT) {
    return new CniError(ERR_UNKNOWN_CONTAINER, 'network namespace "' + path + '" does not exist');
  }
  if (errno == EINVAL) {
    return new CniError(ERR_INVALID_ENV, 'CNI_NETNS "' + path + '" is not a network namespace');
  }
  return new CniError(
    ERR_INVALID_ENV,
    'cannot open network namespace "' + path + '": ' + errnoText(errno),
    errnoName(errno),
  );
}
