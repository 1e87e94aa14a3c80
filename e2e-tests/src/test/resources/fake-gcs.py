#!/usr/bin/env python3
"""A fake of the Google Cloud Storage JSON API for the end-to-end tests (not an emulator).

No GCS emulator can be installed on the build machines, and LocalStorageHelper lives inside one JVM,
so the packaged tools could not otherwise make a single real GCS call. This answers, over HTTP on
127.0.0.1, just the calls google-cloud-storage makes for the tools: list (prefix, delimiter), get
metadata, download (alt=media, Range), multipart upload (ifGenerationMatch=0), compose, delete; and GET /_stats counts uploads and composes. It
keeps objects in memory, names no bucket as missing, and checks no credentials (the tools send none
with STORAGE_EMULATOR_HOST). It prints its port on stdout, then serves until killed.
"""
import base64
import gzip
import hashlib
import http.server
import json
import sys
import threading
import urllib.parse

objects = {}  # (bucket, name) -> {"data": bytes, "gen": int, "metadata": dict or None}
lock = threading.Lock()
generation = [1000]
calls = {"upload": 0, "compose": 0}  # served at GET /_stats, for the tests to see which paths were taken


def describe(bucket, name):
    o = objects[(bucket, name)]
    return {"kind": "storage#object", "bucket": bucket, "name": name, "size": str(len(o["data"])),
            "generation": str(o["gen"]), "metageneration": "1", "contentType": "application/octet-stream",
            "md5Hash": base64.b64encode(hashlib.md5(o["data"]).digest()).decode(),
            "metadata": o["metadata"], "id": "%s/%s/%d" % (bucket, name, o["gen"]),
            "updated": "2026-01-01T00:00:00.000Z", "timeCreated": "2026-01-01T00:00:00.000Z"}


def store(bucket, name, data, metadata, if_absent):
    with lock:
        if if_absent and (bucket, name) in objects:
            return False
        generation[0] += 1
        objects[(bucket, name)] = {"data": data, "gen": generation[0], "metadata": metadata or None}
        return True


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, code, body=b"", headers=()):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def error(self, code, message, reason):
        self.reply(code, {"error": {"code": code, "message": message,
                                    "errors": [{"message": message, "domain": "global", "reason": reason}]}})

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            data = b"".join(chunks)
        else:
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length) if length else b""
        if self.headers.get("Content-Encoding", "").lower() == "gzip":
            data = gzip.decompress(data)
        return data

    def handle_any(self):
        url = urllib.parse.urlparse(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        body = self.body()
        path = url.path.split("/")
        if url.path == "/_stats":
            return self.reply(200, calls)
        if "b" not in path:
            return self.error(404, "Not Found", "notFound")
        at = path.index("b")
        bucket, rest = path[at + 1], path[at + 2:]
        if_absent = query.get("ifGenerationMatch") == "0"
        if self.command == "POST" and url.path.startswith("/upload/"):
            boundary = self.headers["Content-Type"].split("boundary=")[1].strip('"').encode()
            parts = body.split(b"--" + boundary)
            metadata = json.loads(parts[1].split(b"\r\n\r\n", 1)[1])
            data = parts[2].split(b"\r\n\r\n", 1)[1][:-2]
            calls["upload"] += 1
            if not store(bucket, metadata["name"], data, metadata.get("metadata"), if_absent):
                return self.error(412, "At least one of the pre-conditions you specified did not hold.",
                                  "conditionNotMet")
            return self.reply(200, describe(bucket, metadata["name"]))
        if rest == ["o"] and self.command == "GET":
            prefix, delimiter = query.get("prefix", ""), query.get("delimiter")
            items, prefixes = [], set()
            with lock:
                names = sorted(n for (b, n) in objects if b == bucket and n.startswith(prefix))
                for name in names:
                    tail = name[len(prefix):]
                    if delimiter and delimiter in tail:
                        prefixes.add(prefix + tail[:tail.index(delimiter) + len(delimiter)])
                    else:
                        items.append(describe(bucket, name))
            return self.reply(200, {"kind": "storage#objects", "items": items, "prefixes": sorted(prefixes)})
        if len(rest) >= 3 and rest[0] == "o" and rest[-1] == "compose" and self.command == "POST":
            name = urllib.parse.unquote("/".join(rest[1:-1]))
            request = json.loads(body)
            calls["compose"] += 1
            with lock:
                try:
                    data = b"".join(objects[(bucket, s["name"])]["data"] for s in request["sourceObjects"])
                except KeyError:
                    return self.error(404, "No such object", "notFound")
            metadata = (request.get("destination") or {}).get("metadata")
            if not store(bucket, name, data, metadata, if_absent):
                return self.error(412, "At least one of the pre-conditions you specified did not hold.",
                                  "conditionNotMet")
            return self.reply(200, describe(bucket, name))
        if len(rest) >= 2 and rest[0] == "o":
            name = urllib.parse.unquote("/".join(rest[1:]))
            with lock:
                found = objects.get((bucket, name))
                if found is None:
                    return self.error(404, "No such object: %s/%s" % (bucket, name), "notFound")
                if self.command == "DELETE":
                    del objects[(bucket, name)]
                    return self.reply(204)
                if query.get("alt") != "media":
                    return self.reply(200, describe(bucket, name))
                data = found["data"]
                headers = [("x-goog-generation", str(found["gen"]))]
            ranged = self.headers.get("Range")
            if ranged:
                first, last = ranged.split("=")[1].split("-")
                first = int(first)
                last = int(last) if last else len(data) - 1
                chunk = data[first:last + 1]
                headers.append(("Content-Range", "bytes %d-%d/%d" % (first, first + len(chunk) - 1, len(data))))
                return self.reply(206, chunk, headers)
            return self.reply(200, data, headers)
        return self.error(404, "Not Found", "notFound")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
