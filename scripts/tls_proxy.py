#!/usr/bin/env python3
"""A TLS-terminating, keep-alive HTTP/1.1 reverse proxy on loopback, for scripts/cold-start.py.

    scripts/tls_proxy.py --upstream 127.0.0.1:5000 --cert server.pem --key server.key

Clients connect over TLS and keep their connection open (HTTP/1.1 keep-alive), as they do with
DynamoDB, even when the upstream (moto's server speaks HTTP/1.0 and closes every connection) does
not: each request goes upstream on a fresh plain-HTTP connection and comes back with a
Content-Length. It prints `listening <port>` once, then one line per event on stdout:
`handshake` after each completed TLS handshake and `request <n>` for the n-th request on a
connection, which is how the harness counts handshakes per cold start.

Only the standard library.
"""

import argparse
import asyncio
import ssl
import sys


def emit(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def read_head(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = []
    for line in lines[1:]:
        if line:
            k, v = line.split(":", 1)
            headers.append((k.strip(), v.strip()))
    return lines[0], headers


def header(headers, name):
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


async def read_chunked(reader):
    body = b""
    while True:
        size = int((await reader.readline()).split(b";")[0].strip(), 16)
        if size == 0:
            while (await reader.readline()) not in (b"\r\n", b""):
                pass
            return body
        body += await reader.readexactly(size)
        await reader.readline()


async def forward(upstream, request_line, headers, body):
    host, port = upstream
    r, w = await asyncio.open_connection(host, port)
    try:
        drop = {"connection", "keep-alive", "proxy-connection"}
        out = [request_line] + [f"{k}: {v}" for k, v in headers if k.lower() not in drop] + ["Connection: close"]
        w.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + body)
        await w.drain()
        status_line, resp_headers = await read_head(r)
        if (header(resp_headers, "transfer-encoding") or "").lower() == "chunked":
            resp_body = await read_chunked(r)
        elif header(resp_headers, "content-length") is not None:
            resp_body = await r.readexactly(int(header(resp_headers, "content-length")))
        else:
            resp_body = await r.read()
        return status_line, resp_headers, resp_body
    finally:
        w.close()


async def serve(reader, writer, upstream):
    emit("handshake")  # the server's start_tls completed before the callback runs
    n = 0
    try:
        while True:
            try:
                request_line, headers = await read_head(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                emit(f"closed-by-client {n}")
                return
            length = int(header(headers, "content-length") or 0)
            body = await reader.readexactly(length) if length else b""
            n += 1
            emit(f"request {n}")
            status_line, resp_headers, resp_body = await forward(upstream, request_line, headers, body)
            code_reason = status_line.split(" ", 1)[1]
            drop = {"connection", "keep-alive", "content-length", "transfer-encoding"}
            out = [f"HTTP/1.1 {code_reason}"] + [f"{k}: {v}" for k, v in resp_headers if k.lower() not in drop]
            out += [f"Content-Length: {len(resp_body)}", "Connection: keep-alive"]
            writer.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + resp_body)
            await writer.drain()
    except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError) as e:
        emit(f"failed {n} {type(e).__name__}: {e}")
        return
    finally:
        writer.close()


async def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--upstream", required=True, metavar="HOST:PORT")
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    host, port = args.upstream.rsplit(":", 1)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(args.cert, args.key)
    server = await asyncio.start_server(
        lambda r, w: serve(r, w, (host, int(port))), "127.0.0.1", args.port, ssl=ctx
    )
    emit(f"listening {server.sockets[0].getsockname()[1]}")
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
