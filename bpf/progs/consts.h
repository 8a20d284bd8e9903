/* Constants from UAPI headers that vmlinux.h does not carry (it has types and enums, not #defines). */
#ifndef FLOWLENS_CONSTS_H
#define FLOWLENS_CONSTS_H

#define TC_ACT_OK 0

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8

#define AF_INET 2
#define AF_INET6 10

#ifndef IPPROTO_ICMPV6
#define IPPROTO_ICMPV6 58
#endif
#define IPV6_EXT_HOPOPTS 0
#define IPV6_EXT_ROUTING 43
#define IPV6_EXT_FRAGMENT 44
#define IPV6_EXT_DSTOPTS 60

#define FL_MAX_VLAN_TAGS 2
#define FL_MAX_IPV6_EXT_HDRS 6

#endif
