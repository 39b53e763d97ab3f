#!/usr/bin/python3
"""tests/interop/udp_delay_proxy.py — a UDP relay on loopback that holds
every answer back by a set time: the path latency of a distant server, in
front of a real coturn (tests/interop/health_order.sh).

    udp_delay_proxy.py LISTEN_PORT UPSTREAM_PORT DELAY_FILE [SECONDS]

Datagrams to 127.0.0.1:LISTEN_PORT go at once to 127.0.0.1:UPSTREAM_PORT
from one upstream socket per client address (at most 64: the oldest is
dropped); each answer goes back to its client after the delay in
milliseconds that DELAY_FILE holds when the answer arrives (read each
time: the test changes it while running; missing or bad: 0).  Exits by
itself after SECONDS (default 120)."""
import asyncio
import sys

MAX_CLIENTS = 64


def delay_s(path):
    try:
        with open(path) as f:
            return max(0.0, min(float(f.read().strip() or 0), 5000.0)) / 1000.0
    except (OSError, ValueError):
        return 0.0


class Upstream(asyncio.DatagramProtocol):
    def __init__(self, front, client, path):
        self.front, self.client, self.path = front, client, path
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        loop = asyncio.get_running_loop()
        loop.call_later(delay_s(self.path), self.front.sendto, data, self.client)


class Front(asyncio.DatagramProtocol):
    def __init__(self, upstream_port, path):
        self.upstream_port, self.path = upstream_port, path
        self.transport = None
        self.ups = {}        # client address -> Upstream (or a list of pending datagrams)

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        up = self.ups.get(addr)
        if isinstance(up, Upstream):
            up.transport.sendto(data)
        elif isinstance(up, list):
            up.append(data)
        else:
            if len(self.ups) >= MAX_CLIENTS:
                old = next(iter(self.ups))
                u = self.ups.pop(old)
                if isinstance(u, Upstream) and u.transport:
                    u.transport.close()
            self.ups[addr] = [data]
            asyncio.get_running_loop().create_task(self.open(addr))

    async def open(self, addr):
        loop = asyncio.get_running_loop()
        _, up = await loop.create_datagram_endpoint(
            lambda: Upstream(self.transport, addr, self.path),
            remote_addr=('127.0.0.1', self.upstream_port))
        pending = self.ups.get(addr)
        self.ups[addr] = up
        for d in pending if isinstance(pending, list) else []:
            up.transport.sendto(d)


async def main():
    port, upstream, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    secs = float(sys.argv[4]) if len(sys.argv) > 4 else 120.0
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(lambda: Front(upstream, path),
                                        local_addr=('127.0.0.1', port))
    print('listening on %d -> %d' % (port, upstream), flush=True)
    await asyncio.sleep(secs)


if __name__ == '__main__':
    asyncio.run(main())
