// The namespaces one invocation works in: the node's (the netns the plugin runs
// in, where the device plugin left the macvtap) and the pod's (CNI_NETNS).
// Sockets and handles open lazily and close together, on every return path.

import { host_netns_close, host_netns_open } from "../imports/bindings";
import { NetlinkConn } from "../netlink/conn";
import { NetlinkError } from "../netlink/error";
import { EBADF, ENOENT } from "../netlink/errno";

/** The node's netns (the one the plugin runs in), for moving a link back out of a pod. */
const NODE_NETNS_PATH = "/proc/self/ns/net";
/** nl_open's "the namespace the host runs in". */
const NODE_NAMESPACE: i32 = -1;

export class Session {
  podNetns: i32 = -1;
  private nodeNetnsHandle: i32 = -1;
  private podConnection: NetlinkConn | null = null;
  private nodeConnection: NetlinkConn | null = null;
  /** The first socket error, when a lazy open failed. */
  error: NetlinkError | null = null;

  /** A session on the pod netns at `netnsPath`; errno in the error (ENOENT: the netns is gone). */
  static open(netnsPath: string): SessionResult {
    const session = new Session();
    const handle = openNetns(netnsPath);
    if (handle < 0) return new SessionResult(null, -handle);
    session.podNetns = handle;
    return new SessionResult(session, 0);
  }

  /** A socket in the node's netns; null after recording `error`. */
  node(): NetlinkConn | null {
    if (this.nodeConnection == null) this.nodeConnection = this.connect(NODE_NAMESPACE);
    return this.nodeConnection;
  }

  /**
   * A session on the node's netns alone, for work after the pod netns is gone
   * (a hostdev DEL finding the NIC the kernel returned); pod() answers null.
   */
  static nodeOnly(): Session {
    return new Session();
  }

  /** A socket in the pod's netns; null after recording `error`. */
  pod(): NetlinkConn | null {
    if (this.podNetns < 0) {
      // Without this guard nl_open(-1) would hand out a socket in the node's netns.
      if (this.error == null) {
        this.error = new NetlinkError("nl_open", EBADF, "this session has no pod netns");
      }
      return null;
    }
    if (this.podConnection == null) this.podConnection = this.connect(this.podNetns);
    return this.podConnection;
  }

  /** A handle on the node's netns, usable in IFLA_NET_NS_FD; negative errno on failure. */
  nodeNetns(): i32 {
    if (this.nodeNetnsHandle < 0) this.nodeNetnsHandle = openNetns(NODE_NETNS_PATH);
    return this.nodeNetnsHandle;
  }

  private connect(netns: i32): NetlinkConn | null {
    const opened = NetlinkConn.open(netns, 0);
    if (opened.error != null && this.error == null) this.error = opened.error;
    return opened.value;
  }

  close(): void {
    const pod = this.podConnection;
    if (pod != null) pod.close();
    const node = this.nodeConnection;
    if (node != null) node.close();
    if (this.podNetns >= 0) host_netns_close(this.podNetns);
    if (this.nodeNetnsHandle >= 0) host_netns_close(this.nodeNetnsHandle);
    this.podNetns = -1;
    this.nodeNetnsHandle = -1;
  }
}

export class SessionResult {
  constructor(
    public session: Session | null,
    /** Positive errno when session is null. */
    public errno: i32,
  ) {}

  get netnsMissing(): bool {
    return this.errno == ENOENT;
  }
}

function openNetns(path: string): i32 {
  const bytes = String.UTF8.encode(path);
  return host_netns_open(changetype<usize>(bytes), bytes.byteLength);
}
