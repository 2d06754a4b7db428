// Which links carry the node's default routes, kept current for the Link
// "defaultRoute" flag: hostdev resources never offer those NICs. Refreshed by a
// route dump when the daemon lists, and again whenever a route event touches a
// default route (of any table), so a NIC that gets the default route after
// coming up (DHCP) is flagged then, not only at the next list.

import { NetlinkConn } from "../netlink/conn";
import { NetlinkError } from "../netlink/error";
import { defaultRouteIndexes } from "../hostdev/default_route";

export class DefaultRoutes {
  /** ifindexes carrying a default route of any table, as of the last refresh. */
  indexes: i32[] = [];

  /** Dumps the routes again; returns the ifindexes that gained or lost a default route. */
  refresh(conn: NetlinkConn): DefaultRouteChange {
    const listed = defaultRouteIndexes(conn);
    if (listed.error != null) return new DefaultRouteChange([], listed.error);
    const fresh = listed.value!;
    const changed = new Array<i32>();
    for (let i = 0; i < fresh.length; i++) if (!this.indexes.includes(fresh[i])) changed.push(fresh[i]);
    for (let i = 0; i < this.indexes.length; i++) {
      if (!fresh.includes(this.indexes[i])) changed.push(this.indexes[i]);
    }
    this.indexes = fresh;
    return new DefaultRouteChange(changed, null);
  }
}

export class DefaultRouteChange {
  constructor(
    public changed: i32[],
    public error: NetlinkError | null,
  ) {}
}
