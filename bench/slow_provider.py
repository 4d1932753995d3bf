#!/usr/bin/env python3
"""A provider that answers every request after a fixed delay (bench/realistic.sh).

slow_provider.py HOST PORT CERT KEY DELAY_MS READY_FILE

HTTP/1.1 over TLS, keep-alive, any number of connections (asyncio): reads a
request head and its Content-Length body, waits DELAY_MS, answers a small
chat-completion JSON. Nothing else: no chunked bodies, no HTTP/2.
"""
import asyncio
import ssl
import sys

ANSWER = b'{"id":"x","model":"gpt-4o-mini","usage":{"prompt_tokens":512,"completion_tokens":9}}'
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
            % len(ANSWER)) + ANSWER


async def serve(reader, writer, delay):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            await asyncio.sleep(delay)
            writer.write(RESPONSE)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()


async def main():
    host, port, cert, key, delay_ms, ready = sys.argv[1:7]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server = await asyncio.start_server(lambda r, w: serve(r, w, float(delay_ms) / 1000),
                                        host, int(port), ssl=ctx, backlog=128)
    open(ready, "w").close()
    async with server:
        await server.serve_forever()


asyncio.run(main())
