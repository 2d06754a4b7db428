// Rollback for ADD: every step that changes something pushes the step that
// reverses it, right after it succeeds; on a later failure the stack unwinds in
// reverse, so the node ends as it started (the macvtap back in the node netns
// under its temporary name, the IPAM lease released).

import { CniError } from "../cni/errors";
import { execIpam } from "../cni/ipam";
import { LinkMessage } from "../netlink/link";
import { getLinkByIndex, setLink } from "../netlink/rtnl";
import { Session } from "./session";

export abstract class UndoStep {
  /** Reverses the step; returns what went wrong, or null. */
  abstract run(session: Session): string | null;
}

/**
 * Moves the macvtap from the pod back to the node netns under its original name.
 * Registered BEFORE the move is sent: a move+rename is not atomic (when the
 * rename fails the kernel has already moved the link), so the undo must also
 * cover "moved but not renamed". It only touches the link at that ifindex when
 * it is a macvtap under one of the two names: a pod's own link that happens to
 * share the ifindex is never taken.
 */
export class MoveBackToNode extends UndoStep {
  constructor(
    public index: i32,
    public nodeName: string,
    public podName: string,
  ) {
    super();
  }

  run(session: Session): string | null {
    const pod = session.pod();
    const hostNetns = session.hostNetns();
    if (pod == null || hostNetns < 0) return "cannot reach the namespaces to move " + this.nodeName + " back";
    const found = getLinkByIndex(pod, this.index);
    if (found.error != null) return "looking for " + this.nodeName + " in the pod: " + found.error!.toString();
    const link = found.value;
    if (link == null || !this.isOurs(link)) return null; // never moved, or not ours
    const change = new LinkMessage();
    change.index = this.index;
    change.netnsFd = hostNetns;
    change.name = this.nodeName;
    const error = setLink(pod, change);
    return error == null ? null : "moving " + this.nodeName + " back to the node: " + error.toString();
  }

  private isOurs(link: LinkMessage): bool {
    const kind = link.kind;
    const name = link.name;
    if (kind == null || kind != "macvtap" || name == null) return false;
    return name == this.nodeName || name == this.podName;
  }
}

/** Releases what the IPAM plugin handed out (IPAM DEL with the same config). */
export class ReleaseIpam extends UndoStep {
  constructor(
    public ipamType: string,
    public stdin: string,
  ) {
    super();
  }

  run(_session: Session): string | null {
    const released = execIpam(this.ipamType, "DEL", this.stdin);
    const error = released.error;
    return error == null ? null : "releasing the IPAM allocation: " + error.msg;
  }
}

export class UndoStack {
  private steps: UndoStep[] = [];

  push(step: UndoStep): void {
    this.steps.push(step);
  }

  /**
   * Runs every step, newest first, and returns `cause` with any rollback
   * failures appended to its details (the runtime must know if cleanup was partial).
   */
  unwind(session: Session, cause: CniError): CniError {
    const problems = new Array<string>();
    for (let i = this.steps.length - 1; i >= 0; i--) {
      const problem = this.steps[i].run(session);
      if (problem != null) problems.push(problem);
    }
    this.steps = [];
    if (problems.length == 0) return cause;
    const details = cause.details.length > 0 ? cause.details + "; " : "";
    return new CniError(cause.code, cause.msg, details + "rollback incomplete: " + problems.join("; "));
  }
}
