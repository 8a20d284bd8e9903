#!/usr/bin/python3
"""Crafted IP fragments for the fragment tests, run inside a pod's netns. Prints one JSON line.

  frag.py syn DST PORT FIRST_BYTES   TCP SYN (40-byte header with options) split so the first
                                     fragment holds FIRST_BYTES of it (0: not fragmented);
                                     prints {"synack": true|false} (seen within 1.5 s)
  frag.py udp-echo PORT              echoes UDP datagrams on IPv4 and IPv6 (runs until killed)
  frag.py udp DST PORT SIZE          sends one datagram of SIZE bytes (the kernel fragments it);
                                     prints {"received": bytes echoed back, 0 if none in 2 s}
"""
import json
import random
import socket
import sys
import time

def syn(dst, port, first):
    from scapy.all import IP, IPv6, TCP, AsyncSniffer, IPv6ExtHdrFragment, L3RawSocket, L3RawSocket6, Raw, conf, raw

    v6 = ":" in dst
    sport = random.randint(20000, 60000)
    tcp = TCP(sport=sport, dport=port, flags="S", seq=random.getrandbits(32),
              options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)), ("NOP", None), ("WScale", 7)])
    whole = (IPv6(dst=dst) if v6 else IP(dst=dst)) / tcp
    l4 = raw(whole)[40 if v6 else 20:]  # the TCP header with its checksum over the pseudo-header
    ident = random.randint(1, 0xFFFF)
    if first == 0:
        pkts = [whole]
    elif v6:
        pkts = [IPv6(dst=dst) / IPv6ExtHdrFragment(nh=6, id=ident, m=1, offset=0) / Raw(l4[:first]),
                IPv6(dst=dst) / IPv6ExtHdrFragment(nh=6, id=ident, m=0, offset=first // 8) / Raw(l4[first:])]
    else:
        pkts = [IP(dst=dst, id=ident, flags="MF", frag=0, proto=6) / Raw(l4[:first]),
                IP(dst=dst, id=ident, frag=first // 8, proto=6) / Raw(l4[first:])]

    def is_synack(p):
        return TCP in p and p[TCP].sport == port and p[TCP].dport == sport and (p[TCP].flags & 0x12) == 0x12

    sniffer = AsyncSniffer(iface="eth0", lfilter=is_synack, store=True)
    sniffer.start()
    time.sleep(0.5)  # the sniffer's socket must be open before anything can come back
    s = L3RawSocket6() if v6 else L3RawSocket()
    for p in pkts:
        s.send(p)
    s.close()
    time.sleep(1.5)
    sniffer.stop()
    print(json.dumps({"synack": len(sniffer.results) > 0}))

def udp_echo(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    print(json.dumps({"listening": port}), flush=True)
    while True:
        data, addr = s.recvfrom(65535)
        s.sendto(data, addr)

def udp(dst, port, size):
    s = socket.socket(socket.AF_INET6 if ":" in dst else socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(bytes(random.getrandbits(8) for _ in range(size)), (dst, port))
    try:
        data, _ = s.recvfrom(65535)
    except socket.timeout:
        data = b""
    print(json.dumps({"received": len(data)}))

if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "syn":
        syn(args[0], int(args[1]), int(args[2]))
    elif cmd == "udp-echo":
        udp_echo(int(args[0]))
    elif cmd == "udp":
        udp(args[0], int(args[1]), int(args[2]))
    else:
        sys.exit(f"frag.py: unknown command {cmd}")
