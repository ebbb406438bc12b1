"""The decoding stage (docs/decoding.md) in every mode: tokens behind base64 (Kubernetes
Secrets, docker auth, base64 of base64), percent and JSON escapes, UTF-16, and inside zip,
jar-in-zip, tar.gz, gzip; Git LFS objects; the limits that keep hostile archives harmless; no
new findings from ordinary base64; the off switches. Every token is generated at run time.
"""
import base64
import gzip
import io
import json
import os
import subprocess
import tarfile
import zipfile

import glp
from test_git_fixtures import Repo
from test_hooks import git


def b64(data):
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def leaky_files(tok):
    """path -> bytes: one token hidden a different way in each file."""
    dockerconfig = json.dumps({"auths": {"registry.gitlab.com": {"auth": b64("oauth2:" + tok)}}})
    jar = io.BytesIO()
    with zipfile.ZipFile(jar, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("BOOT-INF/classes/application.properties", "gitlab.token=" + tok + "\n")
    war = io.BytesIO()
    with zipfile.ZipFile(war, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("WEB-INF/lib/client.jar", jar.getvalue())
    tgz = io.BytesIO()
    with tarfile.open(fileobj=tgz, mode="w:gz") as t:
        data = ("export GITLAB_TOKEN=" + tok + "\n").encode()
        info = tarfile.TarInfo("backup/etc/profile.d/gitlab.sh")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    return {
        "k8s/secret.yaml": ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: ci\ndata:\n"
                            "  GITLAB_TOKEN: " + b64(tok) + "\n").encode(),
        "k8s/registry.yaml": ("apiVersion: v1\nkind: Secret\ntype: kubernetes.io/dockerconfigjson\n"
                              "data:\n  .dockerconfigjson: " + b64(dockerconfig) + "\n").encode(),
        "ci/env.b64": (base64.encodebytes(("A=1\nGITLAB_TOKEN=" + tok + "\nB=2\n" + "x" * 200).encode())),
        "web/config.json": ('{"token": "' + "".join("\\u%04x" % ord(c) for c in tok[:6]) + tok[6:] + '"}\n').encode(),
        "win/setup.ps1": ("\ufeff$env:GITLAB_TOKEN = '" + tok + "'\r\n").encode("utf-16-le"),
        "dist/service.war": war.getvalue(),
        "backup/home.tar.gz": tgz.getvalue(),
        "logs/build.log.gz": gzip.compress(("step 1\n+ curl -H 'PRIVATE-TOKEN: " + tok + "'\n").encode()),
    }


EXPECTED_CHAINS = {
    "k8s/secret.yaml": ["base64"],
    "k8s/registry.yaml": ["base64", "base64"],
    "ci/env.b64": ["base64"],
    "web/config.json": ["json-escape"],
    "win/setup.ps1": ["utf-16le"],
    "dist/service.war": ["zip", "zip"],
    "backup/home.tar.gz": ["gzip"],
    "logs/build.log.gz": ["gzip"],
}


def by_path(doc, prefix=""):
    out = {}
    for f in doc["findings"]:
        out.setdefault(f["path"][len(prefix):], []).append(f)
    return out


def check_every_file(doc, tok, prefix=""):
    import hashlib
    sha = hashlib.sha256(tok.encode()).hexdigest()
    found = by_path(doc, prefix)
    for path, chain in EXPECTED_CHAINS.items():
        assert path in found, (path, sorted(found))
        fs = found[path]
        assert len(fs) == 1, (path, fs)
        f = fs[0]
        assert f["secret_sha256"] == sha, (path, f)
        assert [d["kind"] for d in f.get("decoded", [])] == chain, (path, f.get("decoded"))
        assert f["fingerprint"] == "gitlab.pat:" + sha  # content-based: one ignore entry covers all
    war = found["dist/service.war"][0]["decoded"]
    assert [d["member"] for d in war] == ["WEB-INF/lib/client.jar", "BOOT-INF/classes/application.properties"]
    assert found["dist/service.war"][0]["line"] == 1
    # line/column point at the encoded run in the YAML (line 6, after "GITLAB_TOKEN: ").
    sec = found["k8s/secret.yaml"][0]
    assert sec["line"] == 6 and sec["column"] >= 17, sec


def test_every_encoding_in_dir_mode():
    with glp.TempDir() as d:
        tok = glp.pat()
        for rel, data in leaky_files(tok).items():
            glp.write(f"{d}/t/{rel}", data)
        p = glp.run_json(["dir", f"{d}/t"], check_rc=1)
        check_every_file(p.doc, tok, prefix=f"{d}/t/")
        assert tok not in p.out and tok not in p.err
        # The human view shows the chain.
        h = glp.run(["dir", f"{d}/t", "--color", "never"], check_rc=1)
        assert "service.war \u25b8 WEB-INF/lib/client.jar \u25b8 BOOT-INF/classes/application.properties:1" in h.out, h.out
        # One ignore entry (content fingerprint) covers the token in every form.
        fp = p.doc["findings"][0]["fingerprint"]
        glp.write(f"{d}/ignore", fp + " # rotated test credential\n")
        glp.run(["dir", f"{d}/t", "--ignore-file", f"{d}/ignore", "-q"], check_rc=0)


def test_every_token_kind_in_base64_and_json_escapes():
    """Base64 (a Kubernetes Secret value, at each of the three byte alignments) and \\u-escaped
    JSON reach every kind, not only access tokens."""
    with glp.TempDir() as d:
        toks = {kind: glp.token(kind) for kind in glp.TOKEN_KINDS}
        for kind, tok in toks.items():
            lead = {0: "", 1: "K", 2: "KE"}[len(kind) % 3]  # the prefix at another alignment
            name = kind.replace(".", "_")
            glp.write(f"{d}/t/{name}.yaml", "kind: Secret\ndata:\n  value: " + b64(lead + "T=" + tok + "\n") + "\n")
            dash = tok.find("-") if "-" in tok[:12] else -1
            if dash > 0:  # JSON writers that escape every non-alphanumeric character
                glp.write(f"{d}/j/{name}.json", '{"t": "' + tok[:dash] + "\\u002d" + tok[dash + 1:] + '"}\n')
        p = glp.run_json(["dir", f"{d}/t", f"{d}/j"], check_rc=1)
        found = {(f["path"].rsplit("/", 2)[-2], f["path"].rsplit("/", 1)[-1].split(".", 1)[0]): f
                 for f in p.doc["findings"]}
        import hashlib
        for kind, tok in toks.items():
            name = kind.replace(".", "_")
            f = found.get(("t", name))
            assert f is not None, (kind, sorted(found))
            assert f["secret_sha256"] == hashlib.sha256(tok.encode()).hexdigest(), (kind, f)
            assert [x["kind"] for x in f.get("decoded", [])] == ["base64"], (kind, f.get("decoded"))
            if "-" in tok[:12]:
                assert ("j", name) in found, (kind, sorted(found))


def test_every_encoding_in_git_history_range_and_staged():
    with glp.TempDir() as d:
        tok = glp.pat()
        r = Repo(f"{d}/r")
        base = r.commit("init", {"README": "hello\n"})
        r.commit("add leaks", leaky_files(tok))
        p = glp.run_json(["git", r.path], check_rc=1)
        check_every_file(p.doc, tok)
        p = glp.run_json(["git", r.path, "--range", base + "..HEAD"], check_rc=1)
        check_every_file(p.doc, tok)
        # Staged: the same files added to the index of a fresh repository.
        s = Repo(f"{d}/s")
        s.commit("init", {"README": "hello\n"})
        for rel, data in leaky_files(tok).items():
            s.write(rel, data)
        s.git("add", "-A")
        p = glp.run_json(["git", s.path, "--staged"], check_rc=1)
        check_every_file(p.doc, tok)


def test_every_encoding_in_pre_receive():
    with glp.TempDir() as d:
        tok = glp.pat()
        srv = Repo(f"{d}/srv.git", bare=True)
        work = Repo(f"{d}/work")
        work.commit("init", {"README": "hi\n"})
        old = work.sha("HEAD")
        work.git("push", "-q", srv.path, "HEAD:refs/heads/main")
        new = work.commit("leaks", leaky_files(tok))
        srv.git("fetch", "-q", work.path, "HEAD")  # objects present (FETCH_HEAD), no ref names them
        line = f"{old} {new} refs/heads/main\n".encode()
        p = glp.run(["pre-receive", srv.path, "-f", "json"], stdin=line, check_rc=1)
        check_every_file(json.loads(p.stdout), tok)


def test_wrapped_base64_at_any_width_and_every_wrap_position():
    """Base64 wrapped at 8 to 76 columns (LF and CRLF), with the token's prefix at each
    position against the line ends, so that some wraps cut the encoded prefix itself: every
    token is found, in dir and in git history (the hint search reads a run of lines without
    their breaks)."""
    with glp.TempDir() as d:
        toks = {}
        for width in (8, 20, 29, 30, 40, 64, 76):
            for lead in range(0, 12):
                eol = "\r\n" if lead % 2 else "\n"
                tok = glp.pat()
                enc = b64("x" * lead + "TOKEN=" + tok + "\n")
                lines = [enc[i:i + width] for i in range(0, len(enc), width)]
                name = f"w{width}-{lead}.txt"
                glp.write(f"{d}/t/{name}", "-----BEGIN DATA-----" + eol + eol.join(lines) + eol + "-----END DATA-----" + eol)
                toks[name] = tok
        import hashlib
        p = glp.run_json(["dir", f"{d}/t"], check_rc=1)
        found = {f["path"].rsplit("/", 1)[-1]: f["secret_sha256"] for f in p.doc["findings"]}
        missed = sorted(n for n, tok in toks.items() if found.get(n) != hashlib.sha256(tok.encode()).hexdigest())
        assert not missed, missed
        r = Repo(f"{d}/repo")
        r.commit("wrapped", {name: open(f"{d}/t/{name}", "rb").read() for name in toks})
        g = glp.run_json(["git", f"{d}/repo"], check_rc=1)
        assert {f["path"] for f in g.doc["findings"]} == set(toks), sorted(set(toks) - {f["path"] for f in g.doc["findings"]})


def test_stdin_and_large_files_stream_containers_and_utf16():
    with glp.TempDir() as d:
        tok = glp.pat()
        files = leaky_files(tok)
        for rel in ("backup/home.tar.gz", "logs/build.log.gz", "win/setup.ps1", "k8s/secret.yaml"):
            p = glp.run_json(["stdin"], stdin=files[rel], check_rc=1)
            assert len(p.doc["findings"]) == 1, (rel, p.doc["findings"])
            assert [x["kind"] for x in p.doc["findings"][0].get("decoded", [])] == EXPECTED_CHAINS[rel]
        # Files above the whole-file threshold (16 MiB) are streamed: a big .tar.gz and a big
        # UTF-16 log still give their token.
        big = io.BytesIO()
        with tarfile.open(fileobj=big, mode="w:gz") as t:
            filler = os.urandom(18 << 20)
            info = tarfile.TarInfo("blob.bin")
            info.size = len(filler)
            t.addfile(info, io.BytesIO(filler))
            data = ("token=" + tok + "\n").encode()
            info = tarfile.TarInfo("late/secret.env")
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        glp.write(f"{d}/big.tar.gz", big.getvalue())
        text = ("line\r\n" * (3 << 20) + "$t = '" + tok + "'\r\n").encode("utf-16-le")
        glp.write(f"{d}/big.log", b"\xff\xfe" + text)
        p = glp.run_json(["dir", d], check_rc=1)
        paths = sorted((f["path"][len(d) + 1:], f["line"]) for f in p.doc["findings"])
        assert paths == [("big.log", (3 << 20) + 1), ("big.tar.gz", 1)], paths


def test_lfs_object_scanned_and_missing_object_listed():
    with glp.TempDir() as d:
        import hashlib
        tok = glp.pat()
        r = Repo(f"{d}/r")
        obj = ("weights and a key " + tok + "\n").encode()
        oid = hashlib.sha256(obj).hexdigest()
        pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {len(obj)}\n"
        missing = hashlib.sha256(b"not here").hexdigest()
        r.commit("lfs", {"model.bin": pointer,
                         "gone.bin": f"version https://git-lfs.github.com/spec/v1\noid sha256:{missing}\nsize 8\n"})
        glp.write(f"{r.path}/.git/lfs/objects/{oid[:2]}/{oid[2:4]}/{oid}", obj)
        p = glp.run_json(["git", r.path], check_rc=1)
        (f,) = p.doc["findings"]
        assert f["path"] == "model.bin" and f["decoded"] == [{"kind": "lfs", "member": "sha256:" + oid}], f
        skips = [k for k in p.doc["scan"]["skipped"] if k["reason"] == "lfs-object-missing"]
        assert len(skips) == 1 and missing in skips[0]["detail"], p.doc["scan"]["skipped"]


def test_hostile_archives_are_bounded_and_reported():
    with glp.TempDir() as d:
        tok = glp.pat()
        # A zip bomb: 1 GiB of zeros compressed to ~1 MB, and a token in a later member.
        bomb = io.BytesIO()
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
            with z.open("zeros.bin", "w") as w:
                chunk = b"\0" * (1 << 20)
                for _ in range(1024):
                    w.write(chunk)
            z.writestr("after.txt", "t=" + tok + "\n")
        glp.write(f"{d}/bomb.zip", bomb.getvalue())
        # 10,000 members, the token in the last one.
        many = io.BytesIO()
        with zipfile.ZipFile(many, "w", zipfile.ZIP_STORED) as z:
            for i in range(10000):
                z.writestr(f"m/{i}.txt", "x\n")
            z.writestr("m/last.txt", "t=" + tok + "\n")
        glp.write(f"{d}/many.zip", many.getvalue())
        # Nested 50 deep: opened to --max-decode-depth, the depth limit reported; nested 3
        # deep: found.
        def nest(levels):
            inner = ("t=" + tok + "\n").encode()
            for level in range(levels):
                buf = io.BytesIO()
                with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                    z.writestr(f"level{level}.zip" if level else "secret.txt", inner)
                inner = buf.getvalue()
            return inner
        glp.write(f"{d}/deep.zip", nest(50))
        glp.write(f"{d}/nested.zip", nest(3))
        # A tar whose member names climb out: nothing is ever written, the name is reported.
        evil = io.BytesIO()
        with tarfile.open(fileobj=evil, mode="w") as t:
            data = ("t=" + tok + "\n").encode()
            info = tarfile.TarInfo("../../../../etc/cron.d/x")
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        glp.write(f"{d}/evil.tar", evil.getvalue())
        # A gzip with a corrupt trailer: the bytes before it are scanned, the fault listed.
        gz = bytearray(gzip.compress(("t=" + tok + "\n").encode()))
        gz[-8] ^= 0xFF
        glp.write(f"{d}/corrupt.gz", bytes(gz))
        p = glp.run_json(["dir", d, "-j", "2"], check_rc=1, timeout=600)
        # Limits that stopped a look inside make the scan incomplete (never clean).
        assert p.doc["scan"]["complete"] is False
        got = {f["path"][len(d) + 1:]: f for f in p.doc["findings"]}
        assert {"bomb.zip", "many.zip", "evil.tar", "corrupt.gz", "nested.zip"} == set(got), sorted(got)
        assert len(got["nested.zip"]["decoded"]) == 3
        assert got["evil.tar"]["decoded"][0]["member"] == "../../../../etc/cron.d/x"
        assert not os.path.exists("/etc/cron.d/x") or open("/etc/cron.d/x", "rb").read().find(tok.encode()) < 0
        reasons = {k["reason"] for k in p.doc["scan"]["skipped"]}
        assert "depth" in reasons, p.doc["scan"]["skipped"]
        assert reasons & {"ratio", "member-size", "decoded-size"}, p.doc["scan"]["skipped"]
        assert reasons & {"corrupt-archive", "truncated"}, p.doc["scan"]["skipped"]
        # --max-decode-depth 2 stops before the 3-deep token: reported, never clean.
        p = glp.run_json(["dir", f"{d}/nested.zip", "--max-decode-depth", "2"], check_rc=3)
        assert any(k["reason"] == "depth" for k in p.doc["scan"]["skipped"])


def test_percent_encoded_session_cookie():
    # URL encoders leave base64url token characters alone; what they encode is the '=' of a
    # cookie written into a URL or a form.
    with glp.TempDir() as d:
        name, value = "_gitlab" + "_session", glp.rand("0123456789abcdef", 32)
        glp.write(f"{d}/callback.txt", f"https://example.com/cb?c={name}%3D{value}&x=1\n")
        p = glp.run_json(["dir", d], check_rc=1)
        (f,) = p.doc["findings"]
        assert f["rule_id"] == "gitlab.session_cookie" and f["decoded"] == [{"kind": "percent", "offset": f["decoded"][0]["offset"]}]
        assert f["line"] == 1 and f["column"] == len("https://example.com/cb?c=") + 1


def test_ordinary_base64_gives_nothing_new():
    with glp.TempDir() as d:
        rnd = os.urandom(3 << 20)
        glp.write(f"{d}/image.b64", base64.encodebytes(rnd))
        glp.write(f"{d}/data.json", json.dumps({"png": b64(rnd[:200000]), "note": b64("glpat- is a prefix")}))
        glp.write(f"{d}/certs.pem", b"".join(
            b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(os.urandom(1200)) + b"-----END CERTIFICATE-----\n"
            for _ in range(200)))
        # Base64 of a placeholder is no finding either.
        glp.write(f"{d}/placeholder.yaml", "data:\n  t: " + b64("glpat-" + "x" * 20) + "\n")
        p = glp.run_json(["dir", d], check_rc=0)
        assert p.doc["findings"] == []


def test_off_switches():
    with glp.TempDir() as d:
        tok = glp.pat()
        for rel, data in leaky_files(tok).items():
            glp.write(f"{d}/{rel}", data)
        glp.write(f"{d}/plain.env", f"T={glp.pat()}\n")
        p = glp.run_json(["dir", d, "--no-decode"], check_rc=1)
        assert [f["path"] for f in p.doc["findings"]] == [f"{d}/plain.env"], p.doc["findings"]
        p = glp.run_json(["dir", d, "--no-archives"], check_rc=1)
        kinds = {x["kind"] for f in p.doc["findings"] for x in f.get("decoded", [])}
        assert "base64" in kinds and not kinds & {"zip", "gzip", "tar"}, kinds


if __name__ == "__main__":
    glp.main([
        test_every_encoding_in_dir_mode,
        test_every_token_kind_in_base64_and_json_escapes,
        test_every_encoding_in_git_history_range_and_staged,
        test_every_encoding_in_pre_receive,
        test_wrapped_base64_at_any_width_and_every_wrap_position,
        test_stdin_and_large_files_stream_containers_and_utf16,
        test_lfs_object_scanned_and_missing_object_listed,
        test_percent_encoded_session_cookie,
        test_hostile_archives_are_bounded_and_reported,
        test_ordinary_base64_gives_nothing_new,
        test_off_switches,
    ])
