# Runs barman-cloud-backup-delete 3.4's own main() (Debian's python3-barman) against an in-memory
# bucket instead of S3, and prints what is left. Input on stdin, JSON:
#   {"objects": {key: text}, "args": [...], "now": "ISO-8601 with offset", "tz": "zone id"}
# Output on stdout, JSON: {"exit": code, "keys": [sorted keys left]}.
# The in-memory bucket lists every key (no 1,000-key pages), so large catalogs compare whole.
import io, json, os, sys, time
from datetime import datetime
import barman.clients.cloud_backup_delete as delete
import barman.retention_policies as policies

spec = json.load(sys.stdin)
# the recovery window is counted on the local wall clock (tzlocal); Cumulus is given the same zone
os.environ["TZ"] = spec["tz"]
time.tzset()
objects = dict(spec["objects"])
NOW = datetime.fromisoformat(spec["now"])


class FixedNow(datetime):
    @classmethod
    def now(cls, tz=None):
        return NOW.astimezone(tz) if tz else NOW


policies.datetime = FixedNow


class MemoryBucket(object):
    bucket_name = "memory"
    bucket_exists = True
    path = "pfx"

    def test_connectivity(self):
        return True

    def close(self):
        pass

    def list_bucket(self, prefix="", delimiter="/"):
        keys = sorted(k for k in objects if k.startswith(prefix))
        if not delimiter:
            for k in keys:
                yield k
            return
        dirs = []
        files = []
        for k in keys:
            rest = k[len(prefix):]
            if delimiter in rest:
                d = prefix + rest.split(delimiter, 1)[0] + delimiter
                if d not in dirs:
                    dirs.append(d)
            else:
                files.append(k)
        for d in dirs:
            yield d
        for f in files:
            yield f

    def remote_open(self, key, decompressor=None):
        if key not in objects:
            return None
        return io.BytesIO(objects[key].encode("utf-8"))

    def delete_objects(self, paths):
        for p in paths:
            objects.pop(p, None)


delete.get_cloud_interface = lambda config: MemoryBucket()
code = 0
stdout = sys.stdout
sys.stdout = sys.stderr  # dry-run prints go to stderr, out of the JSON's way
try:
    delete.main(spec["args"])
except SystemExit as e:
    code = e.code if isinstance(e.code, int) else 1
sys.stdout = stdout
json.dump({"exit": code, "keys": sorted(objects)}, sys.stdout)
