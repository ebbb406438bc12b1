"""The html report (issue 17), rendered in a real browser.

A repository with hostile names is built here, scanned by the real binary (-r html:PATH), and
the page is opened from file:// in Debian's headless Chromium, driven through chromedriver's
W3C WebDriver HTTP API (stdlib urllib only; no selenium). Checked in the browser:
  - no console error (a CSP violation is one) and no request other than the file itself;
  - every finding of the JSON report of the same scan is on the page (one card per token);
  - hostile paths, subjects and authors stay text (no element from them, no alert);
  - filtering by path, severity and kind works with JS; sorting keeps every card;
  - with JS disabled (--dump-dom) every card is readable and the controls stay hidden.
Also: mode 0600, no raw token in the file, --show-secrets refused (exit 2, no file), and
-f html / -r html on dir, stdin and merge. GLPATROL_HTML_SCREENSHOT=PATH saves a picture.
"""
import json
import os
import shutil
import socket
import stat
import subprocess
import time
import urllib.request

import sys

import glp
from test_git_fixtures import Repo, lines

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from fake_gitlab import FakeGitLab  # noqa: E402

# Verification goes to the loopback fake GitLab only.
for var in ("http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy",
            "NO_PROXY", "GITLAB_CI", "CI_SERVER_URL"):
    os.environ.pop(var, None)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
DAY = 86400
HOSTILE_FILE = "<img src=x onerror=alert(1)>.txt"
HOSTILE_SUBJECT = "</script><script>alert(2)</script> \u2028 \"q\" </style>"
# git drops '<' and '>' from names: quotes and an event handler are what an author can carry.
HOSTILE_AUTHOR = "x\" onmouseover=\"alert(3)\" y"


def _browser_args():
    args = ["--headless=new", "--disable-gpu", "--no-first-run", "--disable-extensions",
            "--disable-background-networking", "--disable-sync", "--disable-component-update",
            "--disable-default-apps", "--disable-dev-shm-usage",
            # Networking off: any name resolves to nothing, any proxied request goes nowhere.
            "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
            "--window-size=1280,2000"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")
    return args


def _need_browser():
    if not CHROMIUM or not DRIVER:
        glp.skip("chromium or chromedriver not installed (./build.sh deps test installs both)")


def _fixture(d):
    """A repository whose history has a token still in HEAD (carried by two commits), one that
    left HEAD (in a hostile file name, committed by a hostile author with a hostile subject),
    and a third one in a YAML file. Returns (repo path, tokens)."""
    r = Repo(os.path.join(d, "leaky"))
    t_head, t_gone, t_yaml = glp.pat(), glp.routable(), glp.token("gitlab.deploy_token")
    r.tick = 1_690_000_000
    r.commit("init", {"README.md": "demo\n"})
    r.tick += 40 * DAY
    r.commit("add app config", {"config/app.env": lines("DEBUG=0", f"GITLAB_TOKEN={t_head}")})
    r.tick += 30 * DAY
    r.commit(HOSTILE_SUBJECT, {HOSTILE_FILE: f"token: {t_gone}\n"}, author=HOSTILE_AUTHOR)
    r.tick += 60 * DAY
    r.commit("tune config", {"config/app.env": lines("DEBUG=1", f"GITLAB_TOKEN={t_head}"),
                             "config/app.prod.env": lines(f"GITLAB_TOKEN={t_head}")})
    r.tick += 20 * DAY
    r.commit("remove leftover", remove=[HOSTILE_FILE])
    r.tick += 45 * DAY
    r.commit("deploy settings", {"deploy/secrets.yml": f"deploy:\n  password: {t_yaml}\n"})
    # A remote with credentials in its URL: the report links to its web address without them.
    r.git("remote", "add", "origin", "https://ci:hunter2-remote-pw@gitlab.example.com/demo/leaky.git")
    return r.path, [t_head, t_gone, t_yaml]


class Driver:
    """A minimal W3C WebDriver client for chromedriver (JSON over HTTP)."""

    def __init__(self, js=True):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.proc = subprocess.Popen([DRIVER, f"--port={self.port}"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(100):
            try:
                self._call("GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        opts = {"binary": CHROMIUM, "args": _browser_args()}
        if not js:
            opts["prefs"] = {"profile.managed_default_content_settings.javascript": 2}
        caps = {"capabilities": {"alwaysMatch": {
            "goog:chromeOptions": opts,
            "goog:loggingPrefs": {"browser": "ALL", "performance": "ALL"}}}}
        self.sid = self._call("POST", "/session", caps)["sessionId"]

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        # Only ever the local chromedriver: no proxy.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(req, timeout=60) as resp:
                return json.loads(resp.read())["value"]
        except urllib.error.HTTPError as e:
            raise AssertionError(f"webdriver {method} {path}: {e.read()[:2000]!r}")

    def s(self, method, path, body=None):
        return self._call(method, f"/session/{self.sid}{path}", body)

    def get(self, url):
        self.s("POST", "/url", {"url": url})

    def js(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def find(self, css):
        el = self.s("POST", "/element", {"using": "css selector", "value": css})
        return next(iter(el.values()))

    def click(self, css):
        self.s("POST", f"/element/{self.find(css)}/click", {})

    def type(self, css, text):
        self.s("POST", f"/element/{self.find(css)}/value", {"text": text})

    def log(self, kind):
        return self.s("POST", "/se/log", {"type": kind})

    def screenshot(self, path):
        import base64
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.s("GET", "/screenshot")))

    def close(self):
        try:
            self.s("DELETE", "")
        finally:
            self.proc.terminate()
            self.proc.wait(10)


def _scan(d):
    """Scans the fixture with --verify against a fake GitLab that knows the PAT still in HEAD
    as live (admin owner, expiring) and the routable one as revoked."""
    repo, toks = _fixture(d)
    out, js = f"{d}/out/report.html", f"{d}/out/report.json"
    os.makedirs(f"{d}/out")
    srv = FakeGitLab()
    srv.add(toks[0], "active", name="deploy bot", scopes=["api"], expires_at="2027-03-01",
            user_id=12, username="root", is_admin=True)
    srv.add(toks[1], "revoked")
    with srv:
        glp.run(["git", repo, "-q", "-r", f"html:{out}", "-r", f"json:{js}", "--verify",
                 "--gitlab-url", srv.url], check_rc=1)
    with open(js) as f:
        doc = json.load(f)
    with open(out, "rb") as f:
        html = f.read()
    return out, html, doc, toks


def test_file_mode_no_token_and_refusal():
    with glp.TempDir() as d:
        out, html, doc, toks = _scan(d)
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
        text = html.decode("utf-8")  # valid UTF-8
        for t in toks:
            assert t not in text and t[-16:] not in text, "raw token in the html report"
        for f in doc["findings"]:
            assert f["fingerprint"] in text
        assert "Content-Security-Policy" in text and "default-src 'none'" in text
        assert text.count("<script") == 1 and "<img" not in text and 'onmouseover="' not in text
        assert "hunter2-remote-pw" not in text
        head = [f for f in doc["findings"] if f["path"] == "config/app.env"][0]
        assert (f'href="https://gitlab.example.com/demo/leaky/-/blob/{head["commit"]["sha"]}/config/app.env#L2"'
                in text), "no GitLab link"
        # --show-secrets: refused before the scan, clear message, exit 2, no file.
        p = glp.run(["git", os.path.join(d, "leaky"), "-q", "-r", f"html:{d}/secret.html", "--show-secrets"],
                    check_rc=2)
        assert "--show-secrets" in p.err and "html" in p.err, p.err
        assert not os.path.exists(f"{d}/secret.html")
        p = glp.run(["git", os.path.join(d, "leaky"), "-f", "html", "--show-secrets"], check_rc=2)
        assert p.stdout == b""


def test_every_scan_command():
    with glp.TempDir() as d:
        t1, t2 = glp.pat(), glp.routable()
        glp.write(f"{d}/tree/a.env", f"A={t1}\n")
        glp.write(f"{d}/tree/<b>.txt", f"B={t2}\n")
        p = glp.run(["dir", f"{d}/tree", "-f", "html"], check_rc=1)
        assert p.out.startswith("<!DOCTYPE html>") and "&lt;b&gt;.txt" in p.out and t1 not in p.out
        p = glp.run(["stdin", "-f", "html"], stdin=f"x={t1}\n".encode(), check_rc=1)
        assert "&lt;stdin&gt;" in p.out and t1 not in p.out and p.out.count("<article") == 1
        glp.run(["dir", f"{d}/tree/a.env", "-q", "-r", f"json:{d}/1.json"], check_rc=1)
        glp.run(["dir", f"{d}/tree/<b>.txt", "-q", "-r", f"json:{d}/2.json"], check_rc=1)
        glp.run(["merge", f"{d}/1.json", f"{d}/2.json", "-q", "-r", f"{d}/merged.html"], check_rc=1)
        with open(f"{d}/merged.html") as f:
            merged = f.read()
        assert merged.count("<article") == 2 and t1 not in merged and t2 not in merged
        # Several repositories in one page: each place links into its own repository.
        a, b = Repo(f"{d}/repos/a"), Repo(f"{d}/repos/b")
        ca = a.commit("a", {"t.env": f"T={t1}\n"})
        b.commit("b", {"t.env": f"T={t2}\n"})
        a.git("remote", "add", "origin", "git@gitlab.example.com:g/a.git")
        p = glp.run(["git", a.path, b.path, "-f", "html"], check_rc=1)
        assert p.out.count("<article") == 2 and p.out.count("open in GitLab") == 1
        assert f'href="https://gitlab.example.com/g/a/-/blob/{ca}/t.env#L1"' in p.out


def test_in_browser():
    _need_browser()
    with glp.TempDir() as d:
        out, html, doc, toks = _scan(d)
        fps = sorted({f["fingerprint"] for f in doc["findings"]})
        url = "file://" + out
        drv = Driver(js=True)
        try:
            drv.get(url)
            # No console message at all: a CSP violation, a script error or a blocked load
            # would be one.
            console = drv.log("browser")
            assert console == [], console
            # No request but the page itself (networking is off too, so a request would also
            # have shown up as a console error).
            urls = set()
            for e in drv.log("performance"):
                m = json.loads(e["message"])["message"]
                if m["method"] == "Network.requestWillBeSent":
                    urls.add(m["params"]["request"]["url"])
            assert urls <= {url}, urls
            state = drv.js("""
              const cards=[...document.querySelectorAll('#cards article.card')];
              return {n: cards.length, text: document.body.innerText,
                      controls: !document.getElementById('controls').hidden,
                      copy: [...document.querySelectorAll('button[data-copy]')].filter(b=>!b.hidden).length,
                      active: [...document.querySelectorAll('[onerror],[onload],[onmouseover],img,iframe,object,embed')].length,
                      scripts: document.scripts.length, svg: document.querySelectorAll('svg.tl g').length,
                      title: document.title};""")
            assert state["n"] == len(fps), state["n"]
            # The live token's card comes first, says so, and says what to do.
            first = drv.js("const c=document.querySelector('#cards article.card'); return [c.dataset.live, c.innerText];")
            assert first[0] == "1" and "LIVE" in first[1] and "Revoke it now" in first[1], first
            assert "root" in first[1] and "administrator" in first[1] and "2027-03-01" in first[1]
            assert "1 live token" in state["text"] and "GitLab says it is revoked" in state["text"]
            for fp in fps:
                assert fp in state["text"], fp
            for t in toks:
                assert t not in state["text"]
            assert state["controls"] and state["copy"] == len(fps)
            assert state["active"] == 0 and state["scripts"] == 1
            assert state["svg"] == len(fps)  # every token of the history is on the timeline
            assert HOSTILE_FILE in state["text"]
            assert "</script><script>alert(2)</script>" in state["text"]
            assert HOSTILE_AUTHOR in state["text"]
            shot = os.environ.get("GLPATROL_HTML_SCREENSHOT")
            if shot:
                drv.screenshot(shot)
            visible = "return [...document.querySelectorAll('#cards article.card')].filter(c=>!c.hidden).map(c=>c.dataset.paths);"
            # Filter by path: typed like a user would.
            drv.type("#f-path", "secrets")
            shown = drv.js(visible)
            assert len(shown) == 1 and "deploy/secrets.yml" in shown[0], shown
            assert "1 of 3" in drv.js("return document.getElementById('f-count').textContent;")
            drv.js("const e=document.getElementById('f-path'); e.value=''; e.dispatchEvent(new Event('input'));")
            assert len(drv.js(visible)) == len(fps)
            # Severity: only critical (the PAT and the routable token).
            drv.js("const s=document.getElementById('f-sev'); s.value='4'; s.dispatchEvent(new Event('change'));")
            sev = drv.js("return [...document.querySelectorAll('#cards article.card')].filter(c=>!c.hidden).map(c=>c.dataset.sev);")
            assert sev and all(s == "4" for s in sev) and len(sev) < len(fps), sev
            drv.js("const s=document.getElementById('f-sev'); s.value='0'; s.dispatchEvent(new Event('change'));")
            # Kind, then "live only" (the PAT in config/: live at the fake GitLab).
            drv.js("const s=document.getElementById('f-kind'); s.value='gitlab.deploy_token'; s.dispatchEvent(new Event('change'));")
            assert len(drv.js(visible)) == 1
            drv.js("const s=document.getElementById('f-kind'); s.value=''; s.dispatchEvent(new Event('change'));")
            drv.click("#f-live")
            shown = drv.js(visible)
            assert len(shown) == 1 and "config/app.env" in shown[0], shown
            drv.click("#f-live")
            # Sorting re-orders, never loses a card.
            drv.js("const s=document.getElementById('f-sort'); s.value='path'; s.dispatchEvent(new Event('change'));")
            paths = drv.js("return [...document.querySelectorAll('#cards article.card')].map(c=>c.dataset.first);")
            assert paths == sorted(paths) and len(paths) == len(fps), paths
            assert drv.log("browser") == []
        finally:
            drv.close()


def test_readable_without_js():
    _need_browser()
    with glp.TempDir() as d:
        out, html, doc, toks = _scan(d)
        fps = sorted({f["fingerprint"] for f in doc["findings"]})
        # JavaScript blocked by the browser's content setting (--dump-dom needs JS itself).
        drv = Driver(js=False)
        try:
            drv.get("file://" + out)
            dom = drv.s("GET", "/source")
            assert drv.log("browser") == []
        finally:
            drv.close()
        assert dom.count("<article") == len(fps)
        for fp in fps:
            assert fp in dom
        # The script did not run (the count stays empty), the controls and copy buttons stay
        # hidden, and everything else is there: nothing on the page needs JS to be read.
        assert '<output id="f-count" aria-live="polite"></output>' in dom
        assert '<form id="controls" role="search" aria-label="Filter and sort tokens" hidden="">' in dom
        assert dom.count('<button type="button" data-copy=') == dom.count('hidden="">Copy ignore line') == len(fps)
        assert "&lt;img src=x onerror=alert(1)&gt;.txt" in dom
        assert dom.count("Next step") == len(fps) and '<svg class="tl"' in dom


def test_10000_findings_small_and_quick():
    """10,000 distinct tokens (the worst case: one card or row each) from the real binary: a
    few MB, written in seconds, and the browser has the page ready quickly (measured on an
    idle machine: 4 MB, about 1 s to DOMContentLoaded; the bounds leave room for a busy CI)."""
    with glp.TempDir() as d:
        data = "".join(f"TOKEN_{i}={glp.pat()}\n" for i in range(10000)).encode()
        t0 = time.time()
        glp.run(["stdin", "-q", "-r", f"html:{d}/big.html"], stdin=data, check_rc=1)
        took = time.time() - t0
        size = os.path.getsize(f"{d}/big.html")
        print(f"     10,000 findings: {size} bytes, scan + report {took:.2f} s")
        assert size < 6 * 1024 * 1024, size
        with open(f"{d}/big.html") as f:
            text = f.read()
        assert text.count("<article") == 1000 and "9000 more tokens" in text
        _need_browser()
        drv = Driver(js=True)
        try:
            drv.get(f"file://{d}/big.html")
            ready = drv.js("return performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd;")
            print(f"     DOMContentLoaded after {ready:.0f} ms")
            assert ready < 15000, ready
            t0 = time.time()
            drv.type("#f-path", "stdin")
            assert time.time() - t0 < 10
            assert drv.log("browser") == []
        finally:
            drv.close()


if __name__ == "__main__":
    glp.main([test_file_mode_no_token_and_refusal, test_every_scan_command, test_in_browser,
              test_readable_without_js, test_10000_findings_small_and_quick])
