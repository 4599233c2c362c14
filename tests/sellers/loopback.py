"""A DNS server and a web server on loopback ports: the outside world a custom domain check talks to.

`Zone` answers A and TXT queries from a dict over real UDP (dnslib), so the
check's resolver is the real dnspython one pointed at 127.0.0.1. `WebSite`
answers GETs from a dict (http.server), so the check's HTTP client makes real
requests, with the Host header a real site would see.
"""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from dnslib import QTYPE, RCODE, RR, TXT, A
from dnslib.server import BaseResolver, DNSLogger, DNSServer


class Zone(BaseResolver):
    """Records by (name, type): zone.records[("shop.acme.test", "A")] = ["127.0.0.1"]."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], list[str]] = {}
        self._server = DNSServer(self, address="127.0.0.1", port=0, logger=DNSLogger(logf=lambda message: None))

    @property
    def port(self) -> int:
        return self._server.server.server_address[1]

    def start(self) -> "Zone":
        self._server.start_thread()
        return self

    def stop(self) -> None:
        self._server.stop()

    def resolve(self, request, handler):
        reply = request.reply()
        name, record_type = str(request.q.qname).rstrip(".").lower(), QTYPE[request.q.qtype]
        if not any(known_name == name for known_name, _ in self.records):
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        for value in self.records.get((name, record_type), []):
            rdata = TXT(value) if record_type == "TXT" else A(value)
            reply.add_answer(RR(name, getattr(QTYPE, record_type), rdata=rdata, ttl=60))
        return reply


class WebSite:
    """Answers by path: site.pages["/x"] = (200, "body") or (302, "http://elsewhere/"); 404 otherwise."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, str]] = {}
        self.requests: list[tuple[str, str]] = []  # (Host header, path) of each request
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                site.requests.append((self.headers.get("Host", ""), self.path))
                status, text = site.pages.get(self.path, (404, "not found"))
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", text)
                    text = ""
                body = text.encode()
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> "WebSite":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
