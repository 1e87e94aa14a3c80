#!/usr/bin/env python3
"""A throwaway S3 endpoint for the CDS training runs at packaging time (not a test double).

It keeps objects in memory and answers just enough of the S3 protocol (PUT, GET, HEAD, DELETE,
ListObjectsV2) for one archive or restore call to run its whole path, so that the class-data-sharing
archive holds the SDK classes a real call loads. A listing that finds nothing
reports one 16 MiB object named by the prefix, whose content is zeros (for restore training), for
keys under a "seeded/" server directory.
Prints its port on stdout, then serves on 127.0.0.1 until killed.
"""
import hashlib
import http.server
import sys
import urllib.parse
from xml.sax.saxutils import escape

SEGMENT = 16 * 1024 * 1024
objects = {}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _key(self):
        path = urllib.parse.urlparse(self.path).path
        parts = path.lstrip("/").split("/", 1)
        return urllib.parse.unquote(parts[1]) if len(parts) > 1 else ""

    def _reply(self, status, body=b"", headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _read_body(self):
        length = int(self.headers.get("Content-Length", "0"))
        if self.headers.get("Transfer-Encoding") == "chunked" or "aws-chunked" in self.headers.get("Content-Encoding", ""):
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                data += self.rfile.read(size)
                self.rfile.readline()
            return data
        return self.rfile.read(length)

    def do_PUT(self):
        data = self._read_body()
        objects[self._key()] = data
        self._reply(200, headers={"ETag": '"%s"' % hashlib.md5(data).hexdigest()})

    def do_GET(self):
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        if "list-type" in query:
            prefix = query.get("prefix", [""])[0]
            keys = sorted(k for k in objects if k.startswith(prefix))
            entries = [(k, len(objects[k])) for k in keys]
            if not entries and "/seeded/" in "/" + prefix:
                entries = [(prefix, SEGMENT)]
            contents = "".join(
                "<Contents><Key>%s</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>"
                "<ETag>&quot;0&quot;</ETag><Size>%d</Size><StorageClass>STANDARD</StorageClass></Contents>"
                % (escape(k), size) for k, size in entries)
            body = ('<?xml version="1.0" encoding="UTF-8"?><ListBucketResult '
                    'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>training</Name><Prefix>%s</Prefix>'
                    '<KeyCount>%d</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>%s'
                    '</ListBucketResult>' % (escape(prefix), len(entries), contents)).encode()
            self._reply(200, body, {"Content-Type": "application/xml"})
            return
        key = self._key()
        data = objects.get(key, bytes(SEGMENT) if "/seeded/" in "/" + key else None)
        if data is None:
            self._reply(404, b'<?xml version="1.0"?><Error><Code>NoSuchKey</Code></Error>')
        else:
            self._reply(200, data, {"ETag": '"0"', "Content-Type": "application/octet-stream"})

    def do_HEAD(self):
        key = self._key()
        if not key:
            self._reply(200)
        elif key in objects:
            self._reply(200, headers={"Content-Length": str(len(objects[key]))})
        else:
            self._reply(404)

    def do_DELETE(self):
        objects.pop(self._key(), None)
        self._reply(204)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
