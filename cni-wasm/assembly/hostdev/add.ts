// ADD for deviceType "hostdev": find the whole NIC deviceID names in the node
// netns (nic_lookup.ts), write where it came from into its alias
// (origin_record.ts), move it into the pod as CNI_IFNAME, and configure it and
// run IPAM there exactly as for a macvtap (pod_side.ts). No /dev node: the pod
// gets the NIC.
// Every step that changes something registers its undo before the next runs.

import { validateIfname } from "../cni/env";
import { CniError, ERR_NETLINK, invalidConfig } from "../cni/errors";
import { Invocation, Outcome } from "../cni/invocation";
import { NetlinkConn } from "../netlink/conn";
import { LinkMessage } from "../netlink/link";
import { getLinkByName, setLink } from "../netlink/rtnl";
import { ifnameInUse, requestedMac } from "../attach/preconditions";
import { buildResult, resultFits } from "../attach/result";
import { netlinkFailure, netnsFailure } from "../attach/failures";
import { configurePodLink, ipamReady } from "../attach/pod_side";
import { Session } from "../attach/session";
import { UndoStack } from "../attach/undo";
import { isPciAddress } from "./bus_device";
import { findNic, refused } from "./nic_lookup";
import { readNodeConfig } from "./node_config";
import { MAX_ALIAS_BYTES, OriginRecord } from "./origin_record";
import { ReturnNicToNode } from "./return_nic";

export const HOSTDEV_DEVICE_ID_REQUIRED =
  "deviceID is required: the pod did not request the hostdev resource of this network, or Multus found no " +
  "device allocated for it";

export function cmdHostdevAdd(inv: Invocation): Outcome {
  const deviceError = checkDeviceID(inv.conf.deviceID);
  if (deviceError != null) return Outcome.failed(deviceError);
  const requested = requestedMac(inv);
  if (requested.error != null) return Outcome.failed(requested.error!);
  const opened = Session.open(inv.env.netns);
  if (opened.session == null) return Outcome.failed(netnsFailure(inv.env.netns, opened.errno));
  const session = opened.session!;
  const outcome = attachNic(inv, session, requested.mac);
  session.close();
  return outcome;
}

/** A PCI address (what the device plugin advertises), or an interface name (NICs selected by name). */
export function checkDeviceID(deviceID: string): CniError | null {
  if (deviceID.length == 0) return invalidConfig(HOSTDEV_DEVICE_ID_REQUIRED);
  if (isPciAddress(deviceID) || validateIfname(deviceID) == null) return null;
  return invalidConfig(
    'deviceID "' + deviceID + '" is neither a PCI address (0000:00:0a.0) nor an interface name',
  );
}

function attachNic(inv: Invocation, session: Session, requested: Uint8Array | null): Outcome {
  const node = session.node();
  const pod = session.pod();
  if (node == null || pod == null) {
    return Outcome.failed(netlinkFailure("opening netlink sockets", session.error!));
  }
  const ifname = inv.env.ifname;
  const inUse = ifnameInUse(pod, ifname, inv.env.netns);
  if (inUse != null) return Outcome.failed(inUse);
  const deviceID = inv.conf.deviceID;
  const nic = findNic(node, deviceID);
  if (nic.error != null) return Outcome.failed(nic.error!);
  const origin = originOf(node, nic.link!, deviceID);
  if (origin.error != null) return Outcome.failed(origin.error!);
  const record = origin.record!;

  const ipamError = ipamReady(inv);
  if (ipamError != null) return Outcome.failed(ipamError);

  const undo = new UndoStack();
  undo.push(new ReturnNicToNode(ifname, deviceID, record.name));
  const moveError = labelAndMove(session, nic.link!.index, record, ifname);
  if (moveError != null) return Outcome.failed(undo.unwind(session, moveError));
  const moved = getLinkByName(pod, ifname);
  if (moved.error != null || moved.value == null || !carriesRecordOf(moved.value!, deviceID)) {
    const error = moved.error != null
      ? netlinkFailure('finding "' + ifname + '" in the pod', moved.error!)
      : new CniError(ERR_NETLINK, 'the NIC is not in the pod as "' + ifname + '" right after the move');
    return Outcome.failed(undo.unwind(session, error));
  }
  // The ifindex may change in the pod (another link there had it); go on with the pod's.
  const configured = configurePodLink(inv, pod, session.podNetns, moved.value!.index, requested, undo);
  if (configured.error != null) return Outcome.failed(undo.unwind(session, configured.error!));
  const pciID = isPciAddress(deviceID) ? deviceID.toLowerCase() : "";
  const result = buildResult(inv, configured.link!, configured.ipamResult, pciID);
  const sizeError = resultFits(result);
  if (sizeError != null) return Outcome.failed(undo.unwind(session, sizeError));
  return Outcome.done(result);
}

class OriginLookup {
  constructor(
    public record: OriginRecord | null,
    public error: CniError | null,
  ) {}
}

/**
 * The NIC's record of where it came from: the one it already carries for this
 * deviceID (a NIC an earlier DEL could not fully restore keeps its true origin),
 * else its state on the node now with its addresses and routes. Refused (101)
 * when that state cannot be recorded whole: DEL could not give it back.
 */
function originOf(node: NetlinkConn, link: LinkMessage, deviceID: string): OriginLookup {
  const carried = OriginRecord.decode(link.alias);
  if (carried != null && carried.deviceID == deviceID) return new OriginLookup(carried, null);
  const record = OriginRecord.of(link, deviceID);
  const read = readNodeConfig(node, link);
  if (read.error != null) {
    return new OriginLookup(
      null,
      netlinkFailure('reading the addresses and routes of "' + record.name + '"', read.error!),
    );
  }
  const config = read.value!;
  if (config.refusal != null) return new OriginLookup(null, refused(link, deviceID, config.refusal!));
  record.nodeConfig = config.config;
  if (record.fits) return new OriginLookup(record, null);
  return new OriginLookup(
    null,
    refused(
      link,
      deviceID,
      "its " + config.config.addresses.length.toString() +
        " addresses and " + config.config.routes.length.toString() + " routes do not fit the " +
        MAX_ALIAS_BYTES.toString() + " bytes of the alias that keeps them for DEL",
    ),
  );
}

/** The link ADD just moved: it carries the origin record written for this deviceID. */
function carriesRecordOf(link: LinkMessage, deviceID: string): bool {
  const record = OriginRecord.decode(link.alias);
  return record != null && record.deviceID == deviceID;
}

/**
 * The record goes into the alias while the NIC is still on the node, so that
 * every later state — moved, moved but not renamed (the kernel moves first and
 * may then fail the rename), or returned by the kernel from a dead netns — is
 * recognisable. Then one RTM_NEWLINK moves and renames it.
 */
function labelAndMove(session: Session, index: i32, record: OriginRecord, ifname: string): CniError | null {
  const label = new LinkMessage();
  label.index = index;
  label.alias = record.encode();
  const labelError = setLink(session.node()!, label);
  if (labelError != null) {
    return netlinkFailure('recording the origin of "' + record.name + '" in its alias', labelError);
  }
  const move = new LinkMessage();
  move.index = index;
  move.netnsFd = session.podNetns;
  move.name = ifname;
  const moveError = setLink(session.node()!, move);
  if (moveError == null) return null;
  return netlinkFailure('moving "' + record.name + '" into the pod as "' + ifname + '"', moveError);
}
