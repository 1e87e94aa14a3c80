#!/usr/bin/env python3
"""A fake of the Google Cloud Storage JSON API for the tests (not an emulator).

No GCS emulator can be installed on the build machines, and LocalStorageHelper lives inside one JVM
and knows no buckets, preconditions, pages or composes, so neither the packaged tools nor the
provider's own tests could otherwise make a single real GCS call. This answers, over HTTP on
127.0.0.1, just the calls google-cloud-storage makes for Cumulus, the way GCS answers them:

- list (prefix, delimiter), in pages of maxResults with nextPageToken;
- get metadata and download (alt=media, Range), of the live generation or of the one asked for;
- multipart upload and compose, both honouring ifGenerationMatch (0: must not exist); a compose
  source that is missing, or not of the generation named, is "Object X (generation: N) not found.";
- the kmsKeyName query parameter of both: the object is reported "encrypted" with that key (as GCS
  reports it, with the key version used); an object made without it has no key, as a compose of
  sources that had one (GCS takes a composite's key from the request, or the bucket's default);
- delete, one by one or in a batch request (multipart/mixed, at /batch/storage/v1);
- buckets: with --strict-buckets, only those created (POST /storage/v1/b) and not deleted since
  (DELETE, when empty) exist, and every call on another is GCS's 404 "The specified bucket does not
  exist."; without it, every bucket exists.

For the tests only: GET /_stats counts the calls served (composeWithKmsKey: the composes that named
a key); POST /_faults with a JSON list of
{"method", "path" (a substring of the request path), "status" (an HTTP status, or "reset" to close
the connection without an answer), "after" (true: do the call first, then fail its answer), "times"}
makes the next matching calls fail so. It keeps objects in memory and checks no credentials (the
clients send none with STORAGE_EMULATOR_HOST). It prints its port on stdout, then serves until killed.
"""
import base64
import gzip
import hashlib
import http.server
import json
import socket
import struct
import sys
import threading
import urllib.parse

objects = {}  # (bucket, name) -> {"data": bytes, "gen": int, "metadata": dict or None, "kms": str or None}
buckets = set()
strict_buckets = "--strict-buckets" in sys.argv[1:]
lock = threading.Lock()
generation = [1000]
calls = {"upload": 0, "compose": 0, "composeWithKmsKey": 0, "list": 0, "batch": 0, "delete": 0}
faults = []

NO_BUCKET = "The specified bucket does not exist."
PRECONDITION = "At least one of the pre-conditions you specified did not hold."


class Failure(Exception):
    def __init__(self, code, message, reason):
        super().__init__(message)
        self.code, self.message, self.reason = code, message, reason


def describe(bucket, name):
    o = objects[(bucket, name)]
    described = {"kind": "storage#object", "bucket": bucket, "name": name, "size": str(len(o["data"])),
                 "generation": str(o["gen"]), "metageneration": "1", "contentType": "application/octet-stream",
                 "md5Hash": base64.b64encode(hashlib.md5(o["data"]).digest()).decode(),
                 "metadata": o["metadata"], "id": "%s/%s/%d" % (bucket, name, o["gen"]),
                 "etag": "CJ%d" % o["gen"],
                 "updated": "2026-01-01T00:00:00.000Z", "timeCreated": "2026-01-01T00:00:00.000Z"}
    if o["kms"]:
        described["kmsKeyName"] = o["kms"] + "/cryptoKeyVersions/1"
    return described


def require_bucket(bucket):
    if strict_buckets and bucket not in buckets:
        raise Failure(404, NO_BUCKET, "notFound")


def check_precondition(bucket, name, query):
    wanted = query.get("ifGenerationMatch")
    if wanted is None:
        return
    found = objects.get((bucket, name))
    if (found["gen"] if found else 0) != int(wanted):
        raise Failure(412, PRECONDITION, "conditionNotMet")


def live(bucket, name, query):
    """The object, of the generation the request names if it names one (GCS keeps no other)."""
    found = objects.get((bucket, name))
    wanted = query.get("generation")
    if found is None or (wanted is not None and int(wanted) != found["gen"]):
        raise Failure(404, "No such object: %s/%s" % (bucket, name), "notFound")
    return found


def store(bucket, name, data, metadata, query):
    with lock:
        require_bucket(bucket)
        check_precondition(bucket, name, query)
        generation[0] += 1
        objects[(bucket, name)] = {"data": data, "gen": generation[0], "metadata": metadata or None,
                                   "kms": query.get("kmsKeyName")}
        return describe(bucket, name)


def listing(bucket, query):
    prefix, delimiter = query.get("prefix", ""), query.get("delimiter")
    page_size = min(int(query.get("maxResults", "1000")), 1000)
    after = query.get("pageToken")
    entries = {}  # name -> object description, or None for a prefix
    with lock:
        require_bucket(bucket)
        for (b, name) in objects:
            if b != bucket or not name.startswith(prefix):
                continue
            tail = name[len(prefix):]
            if delimiter and delimiter in tail:
                entries[prefix + tail[:tail.index(delimiter) + len(delimiter)]] = None
            else:
                entries[name] = describe(bucket, name)
    names = sorted(n for n in entries if after is None or n > after)
    page = names[:page_size]
    body = {"kind": "storage#objects",
            "items": [entries[n] for n in page if entries[n] is not None],
            "prefixes": [n for n in page if entries[n] is None]}
    if len(names) > page_size:
        body["nextPageToken"] = page[-1]
    return body


def compose(bucket, name, request, query):
    sources = request.get("sourceObjects") or []
    if not sources or len(sources) > 32:
        raise Failure(400, "The number of source components provided (%d) must be between 1 and 32."
                      % len(sources), "invalid")
    with lock:
        require_bucket(bucket)
        parts = []
        for source in sources:
            found = objects.get((bucket, source["name"]))
            wanted = source.get("generation")
            if found is None or (wanted is not None and int(wanted) != found["gen"]):
                raise Failure(404, "Object %s%s not found." % (
                    source["name"], "" if wanted is None else " (generation: %s)" % wanted), "notFound")
            parts.append(found["data"])
    metadata = (request.get("destination") or {}).get("metadata")
    return store(bucket, name, b"".join(parts), metadata, query)


def delete(bucket, name, query):
    with lock:
        require_bucket(bucket)
        live(bucket, name, query)
        del objects[(bucket, name)]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # headers and body go out in two writes: without this, Nagle holds the body until the client's
        # delayed ACK (40 ms), for every call
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):
        pass

    def reply(self, code, body=b"", headers=(), content_type="application/json"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def error(self, code, message, reason):
        self.reply(code, error_body(code, message, reason))

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

    def fault(self, path):
        """The fault the next call of this method and path must meet, if one was asked for."""
        with lock:
            for f in faults:
                if f.get("method", self.command) == self.command and f.get("path", "") in path:
                    f["times"] = f.get("times", 1) - 1
                    if f["times"] <= 0:
                        faults.remove(f)
                    return f
        return None

    def fail(self, f):
        if f["status"] == "reset":
            # RST instead of FIN: the client sees "connection reset", as from a dropped proxy
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        self.error(f["status"], "Backend Error", "backendError")

    def handle_any(self):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        body = self.body()
        if url.path == "/_stats":
            return self.reply(200, calls)
        if url.path == "/_faults":
            with lock:
                faults.extend(json.loads(body))
            return self.reply(200, {})
        f = self.fault(url.path)
        if f is not None and not f.get("after"):
            return self.fail(f)
        try:
            status, answer, headers, content_type = self.serve(url, query, body)
        except Failure as e:
            status, answer, headers, content_type = e.code, error_body(e.code, e.message, e.reason), (), \
                "application/json"
        if f is not None:
            return self.fail(f)
        self.reply(status, answer, headers, content_type)

    def serve(self, url, query, body):
        if url.path == "/batch/storage/v1" and self.command == "POST":
            calls["batch"] += 1
            return self.batch(body)
        path = url.path.split("/")
        if "b" not in path:
            raise Failure(404, "Not Found", "notFound")
        at = path.index("b")
        if path[at + 1:] == [] and self.command == "POST":
            name = json.loads(body)["name"]
            with lock:
                if name in buckets:
                    raise Failure(409, "Your previous request to create the named bucket succeeded and you"
                                       " already own it.", "conflict")
                buckets.add(name)
            return 200, {"kind": "storage#bucket", "name": name, "id": name}, (), "application/json"
        bucket, rest = urllib.parse.unquote(path[at + 1]), path[at + 2:]
        if rest == [] and self.command == "GET":
            require_bucket(bucket)
            return 200, {"kind": "storage#bucket", "name": bucket, "id": bucket}, (), "application/json"
        if rest == [] and self.command == "DELETE":
            with lock:
                require_bucket(bucket)
                if any(b == bucket for (b, _) in objects):
                    raise Failure(409, "The bucket you tried to delete is not empty.", "conflict")
                buckets.discard(bucket)
            return 204, b"", (), "application/json"
        if self.command == "POST" and url.path.startswith("/upload/"):
            boundary = self.headers["Content-Type"].split("boundary=")[1].strip('"').encode()
            parts = body.split(b"--" + boundary)
            metadata = json.loads(parts[1].split(b"\r\n\r\n", 1)[1])
            data = parts[2].split(b"\r\n\r\n", 1)[1][:-2]
            calls["upload"] += 1
            return 200, store(bucket, metadata["name"], data, metadata.get("metadata"), query), (), \
                "application/json"
        if rest == ["o"] and self.command == "GET":
            calls["list"] += 1
            return 200, listing(bucket, query), (), "application/json"
        if len(rest) >= 3 and rest[0] == "o" and rest[-1] == "compose" and self.command == "POST":
            calls["compose"] += 1
            if query.get("kmsKeyName"):
                calls["composeWithKmsKey"] += 1
            name = urllib.parse.unquote("/".join(rest[1:-1]))
            return 200, compose(bucket, name, json.loads(body), query), (), "application/json"
        if len(rest) >= 2 and rest[0] == "o":
            name = urllib.parse.unquote("/".join(rest[1:]))
            if self.command == "DELETE":
                calls["delete"] += 1
                delete(bucket, name, query)
                return 204, b"", (), "application/json"
            with lock:
                require_bucket(bucket)
                found = live(bucket, name, query)
                if query.get("alt") != "media":
                    return 200, describe(bucket, name), (), "application/json"
                data = found["data"]
                headers = [("x-goog-generation", str(found["gen"]))]
            ranged = self.headers.get("Range")
            if ranged:
                first, last = ranged.split("=")[1].split("-")
                first = int(first)
                last = int(last) if last else len(data) - 1
                chunk = data[first:last + 1]
                headers.append(("Content-Range", "bytes %d-%d/%d" % (first, first + len(chunk) - 1, len(data))))
                return 206, chunk, headers, "application/octet-stream"
            return 200, data, headers, "application/octet-stream"
        raise Failure(404, "Not Found", "notFound")

    def batch(self, body):
        """Deletes only, as Cumulus sends them: each part an embedded DELETE request, each answer a part."""
        boundary = self.headers["Content-Type"].split("boundary=")[1].strip('"').encode()
        answers = []
        for part in body.split(b"--" + boundary)[1:]:
            if part.startswith(b"--"):
                break
            headers, request = part.split(b"\r\n\r\n", 1)
            content_id = b""
            for line in headers.split(b"\r\n"):
                if line.lower().startswith(b"content-id:"):
                    content_id = line.split(b":", 1)[1].strip()
            method, target = request.split(b"\r\n", 1)[0].split(b" ")[:2]
            inner = urllib.parse.urlsplit(target.decode())
            segments = inner.path.split("/")
            at = segments.index("b")
            bucket = urllib.parse.unquote(segments[at + 1])
            name = urllib.parse.unquote("/".join(segments[at + 3:]))
            try:
                if method != b"DELETE":
                    raise Failure(400, "only deletes are batched here", "invalid")
                calls["delete"] += 1
                delete(bucket, name, dict(urllib.parse.parse_qsl(inner.query)))
                status, text, payload = 204, "No Content", b""
            except Failure as e:
                status, text, payload = e.code, "Error", json.dumps(error_body(e.code, e.message, e.reason)).encode()
            answers.append(b"--batch_cumulus\r\nContent-Type: application/http\r\nContent-ID: response-"
                           + content_id.strip(b"<>") + b"\r\n\r\nHTTP/1.1 %d %s\r\nContent-Type: application/json"
                           b"\r\nContent-Length: %d\r\n\r\n" % (status, text.encode(), len(payload)) + payload + b"\r\n")
        return 200, b"".join(answers) + b"--batch_cumulus--\r\n", (), "multipart/mixed; boundary=batch_cumulus"

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any


def error_body(code, message, reason):
    return {"error": {"code": code, "message": message,
                      "errors": [{"message": message, "domain": "global", "reason": reason}]}}


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
