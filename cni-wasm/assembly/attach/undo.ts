// Rollback for ADD: every step that changes something pushes the step that
// reverses it, right after it succeeds; on a later failure the stack unwinds in
// reverse, so the node ends as it started (the link back in the node netns as it
// was, the IPAM lease released). The steps that give a device back are each
// device type's own (macvtap/move_back.ts, hostdev/return_nic.ts).

import { CniError } from "../cni/errors";
import { execIpam } from "../cni/ipam";
import { Session } from "./session";

export abstract class UndoStep {
  /** Reverses the step; returns what went wrong, or null. */
  abstract run(session: Session): string | null;
}

/** Releases what the IPAM plugin handed out (IPAM DEL with the same config). */
export class ReleaseIpam extends UndoStep {
  /** False once the ADD is known never to have started the plugin: then there is nothing to release. */
  needed: bool = true;

  constructor(
    public ipamType: string,
    public stdin: string,
  ) {
    super();
  }

  run(_session: Session): string | null {
    if (!this.needed) return null;
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
