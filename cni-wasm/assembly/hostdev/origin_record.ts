// Where a NIC handed to a pod came from, kept in the NIC's own IFLA_IFALIAS so
// it travels with the link: into the pod, and back to the node when the kernel
// returns a physical NIC from a pod netns that is gone. DEL reads it to give the
// NIC back its node name, MAC, MTU, up state, its addresses and routes
// (node_config.ts) and the alias it had before.
//
//   macvtap-cni hostdev id=0000:00:0a.0 name=ens4 mtu=1500 mac=525400123456 up=1 ip=… rt=… alias=<old alias>
//
// Interface names never hold spaces, so the fields split on spaces; ip= and rt=
// appear only when the NIC had addresses or routes (records written before
// they existed still read); the old alias (anything) is last and takes the rest
// of the line. The kernel keeps at most 255 bytes: a NIC whose record does not
// fit, even with its old alias cut away, is refused rather than half-recorded.

import { validateIfname } from "../cni/env";
import { IFF_UP } from "../netlink/constants";
import { LinkMessage } from "../netlink/link";
import { decodeNodeConfig, encodeNodeConfig, NodeConfig } from "./node_config";

export const ORIGIN_PREFIX = "macvtap-cni hostdev ";

/** IFALIASZ - 1 text bytes, less the NUL the encoder appends (dev_set_alias counts it). */
export const MAX_ALIAS_BYTES: i32 = 254;

const FIELDS = ["id=", "name=", "mtu=", "mac=", "up="];
const ADDRESSES = "ip=";
const ROUTES = "rt=";
const OLD_ALIAS = "alias=";

export class OriginRecord {
  /** The deviceID the NIC was attached for (PCI address, or the node name of a name-selected NIC). */
  deviceID: string = "";
  /** The NIC's name in the node netns. */
  name: string = "";
  mtu: u32 = 0;
  /** IFLA_ADDRESS before the pod changed it; empty when the link had none. */
  mac: Uint8Array = new Uint8Array(0);
  up: bool = false;
  /** IFLA_IFALIAS before this record replaced it ("" = none). */
  alias: string = "";
  /** The NIC's addresses and routes on the node. */
  nodeConfig: NodeConfig = new NodeConfig();

  /** The record for `link` as it is now on the node. */
  static of(link: LinkMessage, deviceID: string): OriginRecord {
    const record = new OriginRecord();
    record.deviceID = deviceID;
    record.name = link.name != null ? link.name! : "";
    record.mtu = link.mtu;
    const address = link.address;
    if (address != null) record.mac = address;
    record.up = (link.flags & IFF_UP) != 0;
    const alias = link.alias;
    if (alias != null) record.alias = alias;
    return record;
  }

  /** False when the record does not fit the alias even without the old alias (encode would lose state). */
  get fits(): bool {
    return String.UTF8.byteLength(this.head()) <= MAX_ALIAS_BYTES;
  }

  /** Everything but the old alias. */
  private head(): string {
    return ORIGIN_PREFIX + "id=" + this.deviceID + " name=" + this.name + " mtu=" + this.mtu.toString() +
      " mac=" + toHex(this.mac) + " up=" + (this.up ? "1" : "0") + encodeNodeConfig(this.nodeConfig) + " " +
      OLD_ALIAS;
  }

  /** The alias text; an old alias too long to fit is cut (it is only a label). */
  encode(): string {
    const head = this.head();
    let tail = this.alias;
    while (tail.length > 0 && String.UTF8.byteLength(head + tail) > MAX_ALIAS_BYTES) {
      tail = tail.substring(0, tail.length - 1);
    }
    return head + tail;
  }

  /** The record in `alias`, or null when the alias is not one of ours (or is damaged). */
  static decode(alias: string | null): OriginRecord | null {
    if (alias == null || !alias.startsWith(ORIGIN_PREFIX)) return null;
    let rest = alias.substring(ORIGIN_PREFIX.length);
    const values = new Array<string>();
    for (let i = 0; i < FIELDS.length; i++) {
      const space = rest.indexOf(" ");
      if (space < 0 || !rest.startsWith(FIELDS[i])) return null;
      values.push(rest.substring(FIELDS[i].length, space));
      rest = rest.substring(space + 1);
    }
    const addresses = optionalField(rest, ADDRESSES);
    rest = rest.substring(addresses.consumed);
    const routes = optionalField(rest, ROUTES);
    rest = rest.substring(routes.consumed);
    if (!rest.startsWith(OLD_ALIAS)) return null;
    const record = OriginRecord.fromFields(values, rest.substring(OLD_ALIAS.length));
    const config = decodeNodeConfig(addresses.value, routes.value);
    if (record == null || config == null) return null;
    record.nodeConfig = config!;
    return record;
  }

  private static fromFields(values: string[], oldAlias: string): OriginRecord | null {
    const record = new OriginRecord();
    record.deviceID = values[0];
    record.name = values[1];
    const mac = fromHex(values[3]);
    const mtuOk = values[2].length > 0 && values[2].length <= 6 && isDigits(values[2]);
    if (record.deviceID.length == 0 || validateIfname(record.name) != null || mac == null || !mtuOk) {
      return null;
    }
    if (values[4] != "0" && values[4] != "1") return null;
    record.mtu = <u32> I32.parseInt(values[2]);
    record.mac = mac!;
    record.up = values[4] == "1";
    record.alias = oldAlias;
    return record;
  }
}

class OptionalField {
  constructor(
    public value: string,
    /** Characters of the record it took, with its trailing space; 0 when absent. */
    public consumed: i32,
  ) {}
}

/** `name` + value + " " at the start of `rest`, or nothing. */
function optionalField(rest: string, name: string): OptionalField {
  const space = rest.indexOf(" ");
  if (!rest.startsWith(name) || space < 0) return new OptionalField("", 0);
  return new OptionalField(rest.substring(name.length, space), space + 1);
}

const HEX = "0123456789abcdef";

function toHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX.charAt(bytes[i] >> 4) + HEX.charAt(bytes[i] & 0xf);
  return out;
}

function fromHex(text: string): Uint8Array | null {
  if (text.length % 2 != 0) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = HEX.indexOf(text.charAt(i * 2));
    const lo = HEX.indexOf(text.charAt(i * 2 + 1));
    if (hi < 0 || lo < 0) return null;
    out[i] = <u8> ((hi << 4) | lo);
  }
  return out;
}

function isDigits(text: string): bool {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}
