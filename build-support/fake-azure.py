#!/usr/bin/env python3
"""A throwaway Azure Blob Storage endpoint for the training runs at packaging time (not a test double).

The Azure counterpart of fake-s3.py: it keeps blobs in memory and answers just enough of the Blob
service's REST protocol (Put Blob, Get Blob whole or by range, Get Blob Properties, List Blobs, Delete
Blob), path-style as an emulator is addressed (/ACCOUNT/CONTAINER/BLOB), for one archive or restore
call to run its whole path, so that the class-data-sharing archive and the ahead-of-time cache hold
the SDK classes a real Azure call loads. It checks no credentials. A blob under a "seeded/" server
directory that was never written reads as a 16 MiB segment of zeros (for restore training), and a
listing under such a directory that finds nothing reports it.
Prints its port on stdout, then serves on 127.0.0.1 until killed.
"""
import base64
import hashlib
import http.server
import re
import urllib.parse
from email.utils import formatdate
from xml.sax.saxutils import escape

SEGMENT = 16 * 1024 * 1024
MODIFIED = formatdate(1767225600, usegmt=True)  # 2026-01-01
blobs = {}


def seeded(name):
    return "/seeded/" in "/" + name


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _parts(self):
        """(container, blob name, query) of a path-style URL: /ACCOUNT/CONTAINER[/BLOB]."""
        url = urllib.parse.urlparse(self.path)
        parts = url.path.lstrip("/").split("/", 2)
        container = urllib.parse.unquote(parts[1]) if len(parts) > 1 else ""
        name = urllib.parse.unquote(parts[2]) if len(parts) > 2 else ""
        return container, name, urllib.parse.parse_qs(url.query)

    def _reply(self, status, body=b"", headers=None, length=None):
        self.send_response(status)
        self.send_header("x-ms-request-id", "training")
        self.send_header("x-ms-version", self.headers.get("x-ms-version", "2025-01-05"))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status, code):
        body = ('<?xml version="1.0" encoding="utf-8"?><Error><Code>%s</Code><Message>%s</Message></Error>'
                % (code, code)).encode()
        self._reply(status, body, {"x-ms-error-code": code, "Content-Type": "application/xml"},
                    length=0 if self.command == "HEAD" else None)

    def _blob(self, container, name):
        data = blobs.get((container, name))
        if data is None and seeded(name):
            data = bytes(SEGMENT)
        return data

    @staticmethod
    def _properties(data):
        return {"ETag": '"0x8D%s"' % hashlib.md5(data[:4096] + str(len(data)).encode()).hexdigest()[:13].upper(),
                "Last-Modified": MODIFIED, "x-ms-creation-time": MODIFIED, "x-ms-blob-type": "BlockBlob",
                "Content-Type": "application/octet-stream", "Accept-Ranges": "bytes",
                "x-ms-server-encrypted": "true", "x-ms-lease-state": "available", "x-ms-lease-status": "unlocked"}

    def do_PUT(self):
        container, name, query = self._parts()
        data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if "comp" in query:
            self._error(501, "NotImplemented")  # blocks: a training segment goes up in one Put Blob
            return
        if not name:
            self._reply(201)  # Create Container
            return
        if self.headers.get("If-None-Match") == "*" and (container, name) in blobs:
            self._error(409, "BlobAlreadyExists")
            return
        blobs[(container, name)] = data
        headers = self._properties(data)
        headers["Content-MD5"] = base64.b64encode(hashlib.md5(data).digest()).decode()
        headers["x-ms-request-server-encrypted"] = "true"
        self._reply(201, headers={k: v for k, v in headers.items() if k != "Content-Type"})

    def do_HEAD(self):
        container, name, _ = self._parts()
        data = self._blob(container, name)
        if data is None:
            self._error(404, "BlobNotFound")
            return
        self._reply(200, headers=self._properties(data), length=len(data))

    def do_GET(self):
        container, name, query = self._parts()
        if query.get("comp") == ["list"]:
            self._list(container, query)
            return
        data = self._blob(container, name)
        if data is None:
            self._error(404, "BlobNotFound")
            return
        headers = self._properties(data)
        match = re.match(r"bytes=(\d+)-(\d*)", self.headers.get("x-ms-range") or self.headers.get("Range") or "")
        if not match:
            self._reply(200, data, headers)
            return
        start = int(match.group(1))
        end = min(int(match.group(2)) if match.group(2) else len(data) - 1, len(data) - 1)
        if start >= len(data):
            self._error(416, "InvalidRange")
            return
        headers["Content-Range"] = "bytes %d-%d/%d" % (start, end, len(data))
        self._reply(206, data[start:end + 1], headers)

    def _list(self, container, query):
        prefix = query.get("prefix", [""])[0]
        delimiter = query.get("delimiter", [""])[0]
        entries = sorted((n, len(d)) for (c, n), d in blobs.items() if c == container and n.startswith(prefix))
        if not entries and seeded(prefix):
            entries = [(prefix, SEGMENT)]
        items, prefixes = [], []
        for name, size in entries:
            rest = name[len(prefix):]
            if delimiter and delimiter in rest:
                common = prefix + rest.split(delimiter, 1)[0] + delimiter
                if common not in prefixes:
                    prefixes.append(common)
                continue
            items.append("<Blob><Name>%s</Name><Properties><Creation-Time>%s</Creation-Time><Last-Modified>%s"
                         "</Last-Modified><Etag>0x8D0</Etag><Content-Length>%d</Content-Length><Content-Type>"
                         "application/octet-stream</Content-Type><BlobType>BlockBlob</BlobType><AccessTier>Hot"
                         "</AccessTier><ServerEncrypted>true</ServerEncrypted></Properties></Blob>"
                         % (escape(name), MODIFIED, MODIFIED, size))
        items += ["<BlobPrefix><Name>%s</Name></BlobPrefix>" % escape(p) for p in prefixes]
        body = ('<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="http://%s/" '
                'ContainerName="%s"><Prefix>%s</Prefix>%s<Blobs>%s</Blobs><NextMarker /></EnumerationResults>'
                % (escape(self.headers.get("Host", "")), escape(container), escape(prefix),
                   "<Delimiter>%s</Delimiter>" % escape(delimiter) if delimiter else "", "".join(items))).encode()
        self._reply(200, body, {"Content-Type": "application/xml"})

    def do_DELETE(self):
        container, name, _ = self._parts()
        if blobs.pop((container, name), None) is None:
            self._error(404, "BlobNotFound")
            return
        self._reply(202, headers={"x-ms-delete-type-permanent": "true"})


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
