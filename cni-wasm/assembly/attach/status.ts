// STATUS and GC (spec 1.1.0). STATUS: can this node serve ADD — is rtnetlink
// reachable in the node netns, and does the IPAM plugin say it is ready? GC:
// this plugin keeps no state of its own (attachments live and die with their
// pod netns), so it only forwards GC to the IPAM plugin, which may hold leases.
//
// Both MUST be forwarded to the IPAM plugin (SPEC.md STATUS: a plugin relying on
// a delegated plugin executes STATUS on it and "if the delegated plugin returns
// an error result, the executing plugin should return an error result"; GC:
// plugins MUST forward GC to their delegated plugins). An IPAM plugin that does
// not speak the network's cniVersion (GC and STATUS only exist from 1.1.0 on)
// has neither verb: Debian's host-local 1.1.1 answers both with code 3 "missing
// containerID", its skel checking the container ID of every verb it does not
// know. That answer is not passed on as if it meant something: its VERSION
// report (as libcni reads it) settles it. STATUS then answers 50, since that
// plugin refuses ADD for this cniVersion too (code 1), so ADD cannot succeed;
// GC succeeds with a note on stderr, since no lease of this network's version
// can be held by a plugin that refuses it.

import { CniError, ERR_NOT_AVAILABLE, ERR_NOT_AVAILABLE_DEGRADED } from "../cni/errors";
import { askVersions, execIpam } from "../cni/ipam";
import { Invocation, Outcome } from "../cni/invocation";
import { NetlinkConn } from "../netlink/conn";

export function cmdStatus(inv: Invocation): Outcome {
  const opened = NetlinkConn.open(-1, 0);
  if (opened.error != null) {
    return Outcome.failed(
      new CniError(
        ERR_NOT_AVAILABLE,
        "rtnetlink is not reachable in the node netns",
        opened.error!.toString(),
      ),
    );
  }
  opened.value!.close();
  const forwarded = forwardToIpam(inv, "STATUS");
  const error = forwarded.error;
  if (error == null) return Outcome.done(null);
  if (forwarded.versions != null) return Outcome.failed(versionNotSpoken(inv, forwarded.versions!, error));
  return Outcome.failed(notAvailable(error));
}

export function cmdGc(inv: Invocation): Outcome {
  const forwarded = forwardToIpam(inv, "GC");
  const error = forwarded.error;
  if (error == null) return Outcome.done(null);
  if (forwarded.versions == null) return Outcome.failed(error);
  process.stderr.write(
    'macvtap: GC not forwarded: IPAM plugin "' + inv.conf.ipamType + '" does not speak cniVersion ' +
      inv.conf.cniVersion + " (it supports " + forwarded.versions!.join(", ") +
      "), so it holds no lease of this " +
      "network's version and has no GC (it answered: " + error.msg + ")\n",
  );
  return Outcome.done(null);
}

class Forwarded {
  constructor(
    /** The IPAM plugin's error; null when it succeeded or there is none. */
    public error: CniError | null,
    /** When it failed and its VERSION report lacks the config's cniVersion: the versions it lists. */
    public versions: string[] | null,
  ) {}
}

function forwardToIpam(inv: Invocation, command: string): Forwarded {
  const ipamType = inv.conf.ipamType;
  if (ipamType.length == 0) return new Forwarded(null, null);
  const forwarded = execIpam(ipamType, command, inv.stdin);
  if (forwarded.error == null || !forwarded.ran) return new Forwarded(forwarded.error, null);
  // A report that cannot be read (or none) leaves the plugin's failure standing as it is.
  const versions = askVersions(ipamType, inv.conf.cniVersion).versions;
  const unspoken = versions != null && !versions.includes(inv.conf.cniVersion);
  return new Forwarded(forwarded.error, unspoken ? versions : null);
}

/** 50: the IPAM plugin refuses this network's cniVersion, so it has no STATUS and ADD cannot succeed. */
function versionNotSpoken(inv: Invocation, versions: string[], error: CniError): CniError {
  return new CniError(
    ERR_NOT_AVAILABLE,
    'IPAM plugin "' + inv.conf.ipamType + '" does not speak cniVersion ' + inv.conf.cniVersion +
      " (it supports " +
      versions.join(", ") + "): ADD cannot succeed, and it has no STATUS to ask",
    "its STATUS answer: code " + error.code.toString() + ", " + error.msg,
  );
}

/**
 * STATUS's answer when the IPAM plugin is not ready: its own 50 or 51 as it said it, anything else
 * (it failed, crashed, or is missing from CNI_PATH) as 50 — this plugin cannot serve ADD without it.
 */
function notAvailable(error: CniError): CniError {
  if (error.code == ERR_NOT_AVAILABLE || error.code == ERR_NOT_AVAILABLE_DEGRADED) return error;
  const details = "its answer: code " + error.code.toString() +
    (error.details.length > 0 ? ", " + error.details : "");
  return new CniError(ERR_NOT_AVAILABLE, "not available: " + error.msg, details);
}
