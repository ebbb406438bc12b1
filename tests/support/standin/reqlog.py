"""Every request the stand-in received, for exact request-count assertions.

An entry holds: seq, time, method, path (raw, as sent), query (token-bearing parameters
redacted), host, peer, token (the label of the registered token it carried, or None),
token_sha256 (SHA-256 of whatever credential was presented, registered or not; None without
one), token_kind, via (private-token / bearer / job-token / basic / cookie / form / query),
status, bytes_out, fault (the kind of an injected fault that answered, or None), git (for git
requests: 'advertise', 'ls-refs', 'fetch', 'upload-pack', 'receive-pack') and git_wants.
Token values never enter the log.
"""
import threading
import time
import urllib.parse

SECRET_PARAMS = ("private_token", "access_token", "job_token", "feed_token", "token")


def redact_query(query):
    if not query:
        return ""
    out = []
    for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True):
        out.append((k, "[REDACTED]" if k in SECRET_PARAMS else v))
    return urllib.parse.urlencode(out)


class RequestLog:
    def __init__(self):
        self._lock = threading.Lock()
        self._entries = []

    def add(self, entry):
        with self._lock:
            entry["seq"] = len(self._entries)
            entry.setdefault("time", time.time())
            self._entries.append(entry)
            return entry

    def mark(self):
        """A position to count from: count(since=log.mark())."""
        with self._lock:
            return len(self._entries)

    def clear(self):
        with self._lock:
            self._entries.clear()

    def entries(self, path=None, path_prefix=None, pattern=None, method=None, token=None,
                status=None, via=None, git=None, since=0, token_sha256=None):
        """Entries matching every given filter. token: a label or a Token (object with .label).
        pattern: a regular expression searched in the path."""
        import re
        rx = re.compile(pattern) if pattern else None
        label = getattr(token, "label", token)
        with self._lock:
            items = list(self._entries[since:])
        return [e for e in items
                if (path is None or e["path"] == path)
                and (path_prefix is None or e["path"].startswith(path_prefix))
                and (rx is None or rx.search(e["path"]))
                and (method is None or e["method"] == method)
                and (label is None or e.get("token") == label)
                and (token_sha256 is None or e.get("token_sha256") == token_sha256)
                and (status is None or e.get("status") == status)
                and (via is None or e.get("via") == via)
                and (git is None or e.get("git") == git)]

    def count(self, **filters):
        return len(self.entries(**filters))
