// Wire constants of netlink and rtnetlink, spelled as in the kernel's uapi
// headers (named per group) so `grep IFLA_MTU` finds both our code and the
// kernel's. Values checked against linux-libc-dev and kernel 6.18.

// ---- linux/netlink.h: nlmsghdr.nlmsg_flags ----
export const NLM_F_REQUEST: u16 = 0x01;
export const NLM_F_MULTI: u16 = 0x02;
export const NLM_F_ACK: u16 = 0x04;
export const NLM_F_ECHO: u16 = 0x08;
export const NLM_F_DUMP_INTR: u16 = 0x10;
export const NLM_F_DUMP_FILTERED: u16 = 0x20;
// Modifiers of GET requests.
export const NLM_F_ROOT: u16 = 0x100;
export const NLM_F_MATCH: u16 = 0x200;
export const NLM_F_ATOMIC: u16 = 0x400;
export const NLM_F_DUMP: u16 = NLM_F_ROOT | NLM_F_MATCH;
// Modifiers of NEW requests.
export const NLM_F_REPLACE: u16 = 0x100;
export const NLM_F_EXCL: u16 = 0x200;
export const NLM_F_CREATE: u16 = 0x400;
export const NLM_F_APPEND: u16 = 0x800;
// Flags of an NLMSG_ERROR reply (acknowledgment).
export const NLM_F_CAPPED: u16 = 0x100;
export const NLM_F_ACK_TLVS: u16 = 0x200;

// ---- linux/netlink.h: nlmsghdr.nlmsg_type below NLMSG_MIN_TYPE ----
export const NLMSG_NOOP: u16 = 0x1;
export const NLMSG_ERROR: u16 = 0x2;
export const NLMSG_DONE: u16 = 0x3;
export const NLMSG_OVERRUN: u16 = 0x4;
export const NLMSG_MIN_TYPE: u16 = 0x10;

// ---- linux/netlink.h: enum nlmsgerr_attrs (extended ACK TLVs) ----
export const NLMSGERR_ATTR_MSG: u16 = 1;
export const NLMSGERR_ATTR_OFFS: u16 = 2;
export const NLMSGERR_ATTR_COOKIE: u16 = 3;
export const NLMSGERR_ATTR_POLICY: u16 = 4;
export const NLMSGERR_ATTR_MISS_TYPE: u16 = 5;
export const NLMSGERR_ATTR_MISS_NEST: u16 = 6;

// ---- linux/netlink.h: struct nlattr.nla_type bits ----
export const NLA_F_NESTED: u16 = 1 << 15;
export const NLA_F_NET_BYTEORDER: u16 = 1 << 14;
export const NLA_TYPE_MASK: u16 = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER);

// ---- linux/rtnetlink.h: message types ----
export const RTM_NEWLINK: u16 = 16;
export const RTM_DELLINK: u16 = 17;
export const RTM_GETLINK: u16 = 18;
export const RTM_SETLINK: u16 = 19;
export const RTM_NEWADDR: u16 = 20;
export const RTM_DELADDR: u16 = 21;
export const RTM_GETADDR: u16 = 22;
export const RTM_NEWROUTE: u16 = 24;
export const RTM_DELROUTE: u16 = 25;
export const RTM_GETROUTE: u16 = 26;

// ---- linux/rtnetlink.h: multicast groups ----
// RTNLGRP_LINK is the group number (for NETLINK_ADD_MEMBERSHIP);
// RTMGRP_LINK the legacy bitmask bit for sockaddr_nl.nl_groups.
export const RTNLGRP_LINK: u32 = 1;
export const RTMGRP_LINK: u32 = 1;
export const RTMGRP_IPV4_ROUTE: u32 = 0x40;
export const RTMGRP_IPV6_ROUTE: u32 = 0x400;

// ---- linux/socket.h: address families ----
export const AF_UNSPEC: u8 = 0;
export const AF_INET: u8 = 2;
export const AF_INET6: u8 = 10;

// ---- linux/if_link.h: enum IFLA_* (struct ifinfomsg attributes) ----
export const IFLA_UNSPEC: u16 = 0;
export const IFLA_ADDRESS: u16 = 1;
export const IFLA_BROADCAST: u16 = 2;
export const IFLA_IFNAME: u16 = 3;
export const IFLA_MTU: u16 = 4;
export const IFLA_LINK: u16 = 5;
export const IFLA_QDISC: u16 = 6;
export const IFLA_STATS: u16 = 7;
export const IFLA_MASTER: u16 = 10;
export const IFLA_TXQLEN: u16 = 13;
export const IFLA_OPERSTATE: u16 = 16;
export const IFLA_LINKMODE: u16 = 17;
export const IFLA_LINKINFO: u16 = 18;
export const IFLA_NET_NS_PID: u16 = 19;
export const IFLA_IFALIAS: u16 = 20;
export const IFLA_STATS64: u16 = 23;
export const IFLA_AF_SPEC: u16 = 26;
export const IFLA_GROUP: u16 = 27;
export const IFLA_NET_NS_FD: u16 = 28;
export const IFLA_EXT_MASK: u16 = 29;
export const IFLA_PROMISCUITY: u16 = 30;
export const IFLA_NUM_TX_QUEUES: u16 = 31;
export const IFLA_NUM_RX_QUEUES: u16 = 32;
export const IFLA_CARRIER: u16 = 33;
export const IFLA_CARRIER_CHANGES: u16 = 35;
export const IFLA_LINK_NETNSID: u16 = 37;
export const IFLA_NEW_NETNSID: u16 = 45;
export const IFLA_NEW_IFINDEX: u16 = 49;
export const IFLA_MIN_MTU: u16 = 50;
export const IFLA_MAX_MTU: u16 = 51;
export const IFLA_PROP_LIST: u16 = 52;
export const IFLA_ALT_IFNAME: u16 = 53;
export const IFLA_PERM_ADDRESS: u16 = 54;
export const IFLA_PARENT_DEV_NAME: u16 = 56;
export const IFLA_PARENT_DEV_BUS_NAME: u16 = 57;

// ---- linux/if_link.h: IFLA_LINKINFO nested attributes ----
export const IFLA_INFO_KIND: u16 = 1;
export const IFLA_INFO_DATA: u16 = 2;
export const IFLA_INFO_XSTATS: u16 = 3;
export const IFLA_INFO_SLAVE_KIND: u16 = 4;
export const IFLA_INFO_SLAVE_DATA: u16 = 5;

// ---- linux/if_link.h: IFLA_INFO_DATA of kinds "macvlan" and "macvtap" ----
export const IFLA_MACVLAN_MODE: u16 = 1;
export const IFLA_MACVLAN_FLAGS: u16 = 2;
export const IFLA_MACVLAN_MACADDR_MODE: u16 = 3;
export const IFLA_MACVLAN_MACADDR: u16 = 4;
export const IFLA_MACVLAN_MACADDR_DATA: u16 = 5;
export const IFLA_MACVLAN_MACADDR_COUNT: u16 = 6;
export const IFLA_MACVLAN_BC_QUEUE_LEN: u16 = 7;
export const IFLA_MACVLAN_BC_QUEUE_LEN_USED: u16 = 8;
export const IFLA_MACVLAN_BC_CUTOFF: u16 = 9;

// ---- linux/if_link.h: enum macvlan_mode, and macvlan flags ----
export const MACVLAN_MODE_PRIVATE: u32 = 1;
export const MACVLAN_MODE_VEPA: u32 = 2;
export const MACVLAN_MODE_BRIDGE: u32 = 4;
export const MACVLAN_MODE_PASSTHRU: u32 = 8;
export const MACVLAN_MODE_SOURCE: u32 = 16;
export const MACVLAN_FLAG_NOPROMISC: u16 = 1;
export const MACVLAN_FLAG_NODST: u16 = 2;

// ---- linux/if.h: net_device_flags (ifinfomsg.ifi_flags) ----
export const IFF_UP: u32 = 1 << 0;
export const IFF_BROADCAST: u32 = 1 << 1;
export const IFF_DEBUG: u32 = 1 << 2;
export const IFF_LOOPBACK: u32 = 1 << 3;
export const IFF_POINTOPOINT: u32 = 1 << 4;
export const IFF_NOTRAILERS: u32 = 1 << 5;
export const IFF_RUNNING: u32 = 1 << 6;
export const IFF_NOARP: u32 = 1 << 7;
export const IFF_PROMISC: u32 = 1 << 8;
export const IFF_ALLMULTI: u32 = 1 << 9;
export const IFF_MASTER: u32 = 1 << 10;
export const IFF_SLAVE: u32 = 1 << 11;
export const IFF_MULTICAST: u32 = 1 << 12;
export const IFF_PORTSEL: u32 = 1 << 13;
export const IFF_AUTOMEDIA: u32 = 1 << 14;
export const IFF_DYNAMIC: u32 = 1 << 15;
export const IFF_LOWER_UP: u32 = 1 << 16;
export const IFF_DORMANT: u32 = 1 << 17;
export const IFF_ECHO: u32 = 1 << 18;

// ---- linux/if.h: RFC 2863 operational states (IFLA_OPERSTATE) ----
export const IF_OPER_UNKNOWN: u8 = 0;
export const IF_OPER_NOTPRESENT: u8 = 1;
export const IF_OPER_DOWN: u8 = 2;
export const IF_OPER_LOWERLAYERDOWN: u8 = 3;
export const IF_OPER_TESTING: u8 = 4;
export const IF_OPER_DORMANT: u8 = 5;
export const IF_OPER_UP: u8 = 6;

// ---- linux/if_arp.h: ifinfomsg.ifi_type values seen in tests ----
export const ARPHRD_ETHER: u16 = 1;
export const ARPHRD_LOOPBACK: u16 = 772;

// ---- linux/if_addr.h: enum IFA_* (struct ifaddrmsg attributes) ----
export const IFA_ADDRESS: u16 = 1;
export const IFA_LOCAL: u16 = 2;
export const IFA_LABEL: u16 = 3;
export const IFA_BROADCAST: u16 = 4;
export const IFA_ANYCAST: u16 = 5;
export const IFA_CACHEINFO: u16 = 6;
export const IFA_MULTICAST: u16 = 7;
export const IFA_FLAGS: u16 = 8;
export const IFA_RT_PRIORITY: u16 = 9;
export const IFA_TARGET_NETNSID: u16 = 10;
export const IFA_PROTO: u16 = 11;

// ---- linux/if_addr.h: ifa_flags / IFA_FLAGS ----
export const IFA_F_SECONDARY: u32 = 0x01;
export const IFA_F_TEMPORARY: u32 = IFA_F_SECONDARY;
export const IFA_F_NODAD: u32 = 0x02;
export const IFA_F_OPTIMISTIC: u32 = 0x04;
export const IFA_F_DADFAILED: u32 = 0x08;
export const IFA_F_HOMEADDRESS: u32 = 0x10;
export const IFA_F_DEPRECATED: u32 = 0x20;
export const IFA_F_TENTATIVE: u32 = 0x40;
export const IFA_F_PERMANENT: u32 = 0x80;
export const IFA_F_MANAGETEMPADDR: u32 = 0x100;
export const IFA_F_NOPREFIXROUTE: u32 = 0x200;
export const IFA_F_MCAUTOJOIN: u32 = 0x400;
export const IFA_F_STABLE_PRIVACY: u32 = 0x800;

// ---- linux/rtnetlink.h: enum rtattr_type_t (struct rtmsg attributes) ----
export const RTA_DST: u16 = 1;
export const RTA_SRC: u16 = 2;
export const RTA_IIF: u16 = 3;
export const RTA_OIF: u16 = 4;
export const RTA_GATEWAY: u16 = 5;
export const RTA_PRIORITY: u16 = 6;
export const RTA_PREFSRC: u16 = 7;
export const RTA_METRICS: u16 = 8;
export const RTA_MULTIPATH: u16 = 9;
export const RTA_CACHEINFO: u16 = 12;
export const RTA_TABLE: u16 = 15;
export const RTA_PREF: u16 = 20;

// ---- linux/rtnetlink.h: RTAX_* (attributes nested in RTA_METRICS) ----
export const RTAX_MTU: u16 = 2;
export const RTAX_ADVMSS: u16 = 8;

// ---- linux/rtnetlink.h: rtm_table ----
export const RT_TABLE_UNSPEC: u32 = 0;
export const RT_TABLE_DEFAULT: u32 = 253;
export const RT_TABLE_MAIN: u32 = 254;
export const RT_TABLE_LOCAL: u32 = 255;

// ---- linux/rtnetlink.h: rtm_protocol ----
export const RTPROT_UNSPEC: u8 = 0;
export const RTPROT_REDIRECT: u8 = 1;
export const RTPROT_KERNEL: u8 = 2;
export const RTPROT_BOOT: u8 = 3;
export const RTPROT_STATIC: u8 = 4;
export const RTPROT_RA: u8 = 9;
export const RTPROT_DHCP: u8 = 16;

// ---- linux/rtnetlink.h: enum rt_scope_t ----
export const RT_SCOPE_UNIVERSE: u8 = 0;
export const RT_SCOPE_SITE: u8 = 200;
export const RT_SCOPE_LINK: u8 = 253;
export const RT_SCOPE_HOST: u8 = 254;
export const RT_SCOPE_NOWHERE: u8 = 255;

// ---- linux/rtnetlink.h: rtm_type ----
export const RTN_UNSPEC: u8 = 0;
export const RTN_UNICAST: u8 = 1;
export const RTN_LOCAL: u8 = 2;
export const RTN_BROADCAST: u8 = 3;
export const RTN_ANYCAST: u8 = 4;
export const RTN_MULTICAST: u8 = 5;
export const RTN_BLACKHOLE: u8 = 6;
export const RTN_UNREACHABLE: u8 = 7;
export const RTN_PROHIBIT: u8 = 8;
