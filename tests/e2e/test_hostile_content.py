"""Hostile content (bad-inputs.md A5, rows C01-C17): one test per row, named after it.

Row -> test map and the decisions for rows that leave a choice: docs/hostile-inputs.md.
Tokens are generated at run time; big inputs are scaled down in the sanitizer build.
"""
import base64
import hashlib
import json
import os

import glp
import hostile_util as hu


def located(doc):
    return sorted((f["rule_id"], f["line"], f["column"], f["end_column"]) for f in doc["findings"])


def test_C01_last_line_without_newline_found_and_redacted():
    with glp.TempDir() as d:
        toks = [glp.pat(), glp.routable(), glp.token("gitlab.runner_auth")]
        for i, t in enumerate(toks):
            glp.write(f"{d}/f{i}.env", f"A=1\nTOKEN={t}")  # no trailing newline
        glp.write(f"{d}/only.txt", toks[0])                 # the token is the whole file
        outs, codes = hu.all_outputs(["dir", d], d)
        assert codes == {1}, codes
        hu.assert_no_token(outs, toks)
        p = glp.run_json(["dir", d], check_rc=1)
        got = sorted((os.path.basename(f["path"]), f["line"], f["column"]) for f in p.doc["findings"])
        assert got == [("f0.env", 2, 7), ("f1.env", 2, 7), ("f2.env", 2, 7), ("only.txt", 1, 1)], got


def _straddle_file(size, spots):
    """A whitespace-free run ('=' is no token character) with tokens at the given offsets."""
    buf = bytearray(b"=" * size)
    want = []
    for off, kind in spots:
        t = glp.token(kind).encode()
        buf[off:off + len(t)] = t
        want.append((kind, off))
    return bytes(buf), sorted(want, key=lambda x: x[1])


def test_C02_chunk_boundary_straddle():
    # Offsets just before the boundaries of peers' buffers (64 KiB, 100 KB, 1 MiB) and ours:
    # files up to 16 MiB are scanned whole, larger ones and stdin stream in 4 MiB windows.
    MiB = 1 << 20
    spots = [(64 * 1024 - 5, "gitlab.pat"), (100_000 - 5, "gitlab.pat"), (MiB - 5, "gitlab.pat"),
             (4 * MiB - 5, "gitlab.pat"), (8 * MiB - 30, "gitlab.pat.routable"),
             (12 * MiB - 1, "gitlab.runner_auth"), (16 * MiB - 13, "gitlab.pat"),
             (20 * MiB - 40, "gitlab.runner_auth.routable"), (20 * MiB + 100, "gitlab.pat")]
    data, want = _straddle_file(21 * MiB, spots)
    small, want_small = _straddle_file(2 * MiB, spots[:3])
    with glp.TempDir() as d:
        glp.write(f"{d}/streamed.min.js", data)
        glp.write(f"{d}/whole.min.js", small)
        p = glp.run_json(["dir", d], check_rc=1)
        got = sorted((f["rule_id"], f["offset"]) for f in p.doc["findings"] if f["path"].endswith("streamed.min.js"))
        assert got == sorted(want), (got, want)
        got = sorted((f["rule_id"], f["offset"]) for f in p.doc["findings"] if f["path"].endswith("whole.min.js"))
        assert got == sorted(want_small), got
        for f in p.doc["findings"]:
            assert f["line"] == 1 and f["column"] == f["offset"] + 1
        p = glp.run_json(["stdin"], stdin=data, check_rc=1)
        assert sorted((f["rule_id"], f["offset"]) for f in p.doc["findings"]) == sorted(want)


def test_C03_giant_single_line_bounded_memory_and_output():
    size = hu.big(200 << 20)
    t = glp.pat()
    with glp.TempDir() as d:
        unit = b"var a=function(b){return b+1};"
        with open(f"{d}/bundle.min.js", "wb") as f:
            half = size // 2 // len(unit)
            for _ in range(2):
                f.write(unit * half)
                if _ == 0:
                    f.write(b"k='" + t.encode() + b"';")
        rc, out, err, rss = hu.run_rss(["dir", d, "-f", "json"])
        assert rc == 1, (rc, err[:500])
        doc = json.loads(out)
        assert [(f["line"], f["column"]) for f in doc["findings"]] == [(1, half * len(unit) + 4)]
        # Memory stays far below the file size (streamed), the report carries no line content.
        assert rss < 256 * glp.MEMORY_FACTOR, f"peak RSS {rss:.0f} MiB for a {size >> 20} MiB line"
        assert len(out) < 64 * 1024, len(out)
        hu.assert_no_token({"json": out, "stderr": err}, [t])


def test_C04_file_above_max_file_size_is_reported_skipped():
    with glp.TempDir() as d:
        t = glp.pat()
        glp.write(f"{d}/big.log", (b"x" * (2 << 20)) + b" " + t.encode() + b"\n")
        glp.write(f"{d}/small.txt", "nothing here\n")
        p = glp.run_json(["dir", d, "--max-file-size", "1M"], check_rc=0)
        assert p.doc["findings"] == []
        assert hu.skipped(p.doc) == [(f"{d}/big.log", "size", False)], hu.skipped(p.doc)
        detail = p.doc["scan"]["skipped"][0]["detail"]
        assert str((2 << 20) + len(t) + 2) in detail, detail
        assert p.doc["scan"]["stats"]["files"] == 1
        # A deliberate size limit is policy, not lost coverage; --strict makes any skip fail.
        assert glp.run(["dir", d, "--max-file-size", "1M", "--strict"]).returncode == 3
        glp.run(["dir", d], check_rc=1)


def test_C05_blob_over_4GiB_streamed_token_beyond_32_bits():
    # hs_scan takes an unsigned int length: a > 4 GiB file must be streamed, and offsets
    # past 2^32 must not wrap. The sparse file costs no disk space.
    t = glp.pat()
    off = (4 << 30) + 12345
    with glp.TempDir() as d:
        with open(f"{d}/sparse.img", "wb") as f:
            f.seek(off)
            f.write(b" " + t.encode() + b"\n")
        rc, out, err, rss = hu.run_rss(["dir", d, "-f", "json"], timeout=900)
        assert rc == 1, (rc, err[:500])
        doc = json.loads(out)
        assert [(f["offset"], f["line"]) for f in doc["findings"]] == [(off + 1, 1)], doc["findings"]
        assert doc["scan"]["stats"]["bytes"] == off + len(t) + 2
        assert rss < 256 * glp.MEMORY_FACTOR, rss
        # With a cap below the size, the file is skipped and named, never half-scanned.
        p = glp.run_json(["dir", d, "--max-file-size", "4G"], check_rc=0)
        assert hu.skipped(p.doc) == [(f"{d}/sparse.img", "size", False)]


def test_C06_token_inside_binary_files_found_by_default():
    t1, t2, t3 = glp.pat(), glp.token("gitlab.deploy_token"), glp.routable()
    with glp.TempDir() as d:
        elf = b"\x7fELF\x02\x01\x01" + b"\x00" * 57 + b"\x00" * 4000 + b"\x00" + t1.encode() + b"\x00" * 100
        glp.write(f"{d}/libx.so", elf)
        import struct
        import zlib
        text = b"Comment\x00" + t2.encode()
        chunk = struct.pack(">I", len(text)) + b"tEXt" + text
        chunk += struct.pack(">I", zlib.crc32(b"tEXt" + text))
        glp.write(f"{d}/img.png", b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17 + chunk)
        glp.write(f"{d}/m.pyc", b"\x6f\x0d\x0d\x0a" + b"\x00" * 12 + b"\xe3" + b"\x00" * 30 +
                  b"\xda" + bytes([len(t3)]) + t3.encode() + b"N")
        p = glp.run_json(["dir", d], check_rc=1)
        got = sorted((os.path.basename(f["path"]), f["rule_id"]) for f in p.doc["findings"])
        assert got == [("img.png", "gitlab.deploy_token"), ("libx.so", "gitlab.pat"),
                       ("m.pyc", "gitlab.pat.routable")], got
        # Decision: no --skip-binary switch; binaries are always scanned (docs/hostile-inputs.md).
        assert glp.run(["dir", d, "--skip-binary"]).returncode == 2


def test_C07_utf16_le_and_be_found():
    t1, t2 = glp.pat(), glp.token("gitlab.pipeline_trigger")
    with glp.TempDir() as d:
        glp.write(f"{d}/le.txt", b"\xff\xfe" + f"a\r\nkey={t1}\r\n".encode("utf-16-le"))
        glp.write(f"{d}/be.txt", b"\xfe\xff" + f"x\nkey: {t2}\n".encode("utf-16-be"))
        p = glp.run_json(["dir", d], check_rc=1)
        got = sorted((os.path.basename(f["path"]), f["rule_id"], f["line"], f["column"],
                      f["attributes"].get("encoding")) for f in p.doc["findings"])
        assert got == [("be.txt", "gitlab.pipeline_trigger", 2, 6, "utf-16be"),
                       ("le.txt", "gitlab.pat", 2, 5, "utf-16le")], got
        hu.assert_no_token({"out": p.stdout, "err": p.stderr}, [t1, t2])


def test_C08_crlf_cr_only_and_mixed_line_endings():
    t = glp.pat()
    with glp.TempDir() as d:
        glp.write(f"{d}/crlf.txt", f"a\r\nb\r\n  {t}\r\n")
        glp.write(f"{d}/cr.txt", f"a\rb\r\r  {t}\r")
        glp.write(f"{d}/mixed.txt", f"a\nb\r\nc\rd\n\u00e9\u00e9 {t}\n")
        glp.write(f"{d}/lead.txt", f"\r\n\n{t}")
        p = glp.run_json(["dir", d], check_rc=1)
        got = sorted((os.path.basename(f["path"]), f["line"], f["column"], f["end_line"], f["end_column"])
                     for f in p.doc["findings"])
        n = len(t)
        assert got == [("cr.txt", 4, 3, 4, 3 + n), ("crlf.txt", 3, 3, 3, 3 + n),
                       ("lead.txt", 3, 1, 3, 1 + n), ("mixed.txt", 5, 4, 5, 4 + n)], got


def test_C09_boundaries_per_rule():
    t = glp.pat()
    n = len(t)
    cases = {  # text -> expected (rule, column) list; columns are 1-based
        "x" + t: [("gitlab.pat", 2)],            # no left boundary for prefixed kinds
        "9" + t: [("gitlab.pat", 2)],
        "-" + t: [("gitlab.pat", 2)],
        "_" + t: [("gitlab.pat", 2)],
        '"' + t + '"': [("gitlab.pat", 2)],
        "https://h/api/v4/user?private_token=" + t + "&a=1": [("gitlab.pat", 37)],
        t + ".": [("gitlab.pat", 1)],
        t + "x": [],                             # a 21st body character: not this token
        t + "-": [],
        t + "_": [],
    }
    u = "t1_" + glp.rand(glp.DEVISE, 20)
    cases["a " + u] = [("gitlab.runner_auth.unprefixed", 3)]
    cases["a" + u] = []                          # unprefixed kind needs a left boundary
    cases["=" + u + ";"] = [("gitlab.runner_auth.unprefixed", 2)]
    r = glp.routable(prefix="corp@")
    cases["(" + r + ")"] = [("gitlab.routable.unknown_prefix", 2)]
    for text, want in cases.items():
        p = glp.run_json(["stdin"], stdin=text.encode())
        got = [(f["rule_id"], f["column"]) for f in p.doc["findings"]]
        assert got == want, (text.replace(t, "<pat>").replace(u, "<t1>").replace(r, "<rt>"), got, want)
        for f in p.doc["findings"]:
            if f["rule_id"] == "gitlab.pat":
                assert f["end_column"] - f["column"] == n


def test_C10_every_kind_classified_once_longest_wins():
    kinds = glp.TOKEN_KINDS
    toks = {k: glp.token(k) for k in kinds}
    toks["gitlab.session_cookie"] = "_gitlab_session=" + glp.rand(glp.HEX, 32)
    toks["gitlab.feed_token.path"] = glp._p("gl", "ft-") + glp.rand(glp.HEX, 64) + "-42"
    text = "".join(f"{k} = {v}\n" for k, v in toks.items())
    p = glp.run_json(["stdin"], stdin=text.encode(), check_rc=1)
    got = [(f["rule_id"], f["line"]) for f in p.doc["findings"]]
    want = [(k, i + 1) for i, k in enumerate(toks)]
    assert sorted(got) == sorted(want), got
    assert len(got) == len(toks)  # one finding per token, no double report


def test_C11_custom_prefix_needs_configuration():
    body = glp.rand(glp.DEVISE, 20)
    legacy = "mycorp-" + body
    rt = glp.routable(prefix="mycorp-")
    text = f"a={legacy}\nb={rt}\n".encode()
    p = glp.run_json(["stdin"], stdin=text, check_rc=1)
    # Without configuration: the legacy custom-prefix token is not detectable (documented); the
    # routable one is found by its checksum as an unknown-prefix token.
    assert [(f["rule_id"], f["line"]) for f in p.doc["findings"]] == [("gitlab.routable.unknown_prefix", 2)]
    p = glp.run_json(["stdin", "--pat-prefix", "mycorp-"], stdin=text, check_rc=1)
    assert sorted((f["rule_id"], f["line"]) for f in p.doc["findings"]) == [("gitlab.pat", 1), ("gitlab.pat.routable", 2)]
    with glp.TempDir() as d:
        glp.write(f"{d}/glpatrol.toml", '[gitlab]\npat_prefixes = ["mycorp-"]\n')
        p = glp.run_json(["stdin", "--config", f"{d}/glpatrol.toml"], stdin=text, check_rc=1)
        assert sorted((f["rule_id"], f["line"]) for f in p.doc["findings"]) == [("gitlab.pat", 1), ("gitlab.pat.routable", 2)]


def test_C12_invalid_utf8_and_nul_around_token():
    t = glp.pat()
    with glp.TempDir() as d:
        glp.write(f"{d}/bytes.bin", b"\xff\xfe\xc3\x28\x00\x80" + t.encode() + b"\x00\xed\xa0\x80\xf8\x88\n")
        glp.write(f"{d}/nul.txt", b"\x00" * 10 + t.encode() + b"\x00")
        outs, codes = hu.all_outputs(["dir", d], d)
        assert codes == {1}
        hu.valid_json_outputs(outs)
        hu.assert_no_token(outs, [t])
        p = glp.run_json(["dir", d], check_rc=1)
        assert sorted((os.path.basename(f["path"]), f["offset"]) for f in p.doc["findings"]) == [("bytes.bin", 6), ("nul.txt", 10)]


def test_C13_encoded_tokens_are_decoded_where_a_prefix_is_encoded():
    # docs/decoding.md: base64 (also of a JSON document holding the token) is decoded and
    # reported at its encoded line; hex and a fully percent-encoded token (every character
    # %XX, which no URL encoder writes for base64url characters) are not decoded; URL encoding
    # of the characters around a token leaves it intact and it is found as it is.
    t = glp.pat()
    b64 = base64.b64encode(t.encode()).decode()
    b64json = base64.b64encode(json.dumps({"token": t}).encode()).decode()
    hexed = t.encode().hex()
    pct_all = "".join(f"%{b:02X}" for b in t.encode())
    urlenc = "token%3D" + t + "%26x%3D1"
    p = glp.run_json(["stdin"], stdin=f"{b64}\n{b64json}\n{hexed}\n{pct_all}\n{urlenc}\n".encode(), check_rc=1)
    got = [(f["rule_id"], f["line"], [x["kind"] for x in f.get("decoded", [])]) for f in p.doc["findings"]]
    assert sorted(got) == [("gitlab.pat", 1, ["base64"]), ("gitlab.pat", 2, ["base64"]), ("gitlab.pat", 5, [])], got
    assert len({f["fingerprint"] for f in p.doc["findings"]}) == 1


def test_C14_million_tokens_in_one_file_capped_and_counted():
    n = hu.big(1_000_000, 200_000)
    toks = [glp.pat() for _ in range(1000)]
    other = glp.token("gitlab.deploy_token")
    with glp.TempDir() as d:
        with open(f"{d}/dump.txt", "w") as f:
            for i in range(n):
                f.write(toks[i % 1000] + "\n")
        glp.write(f"{d}/z.env", f"D={other}\n")  # the cap of one file never starves another
        cap = 50000
        rc, out, err, rss = hu.run_rss(["dir", d, "-f", "json"])
        assert rc == 1, (rc, err[:300])
        assert rss < 1024 * glp.MEMORY_FACTOR, f"peak RSS {rss:.0f} MiB for {n} tokens"
        doc = json.loads(out)
        per = {}
        for f in doc["findings"]:
            per[os.path.basename(f["path"])] = per.get(os.path.basename(f["path"]), 0) + 1
        assert per == {"dump.txt": cap, "z.env": 1}, per
        warning = f"{n - cap} more findings in {d}/dump.txt beyond the per-file cap of {cap}"
        assert any(warning in w for w in doc["scan"]["warnings"]), doc["scan"]["warnings"]
        # Streamed jsonl stores nothing: every finding is written, memory stays bounded.
        rc, out, err, rss = hu.run_rss(["dir", d, "-f", "jsonl"])
        assert rc == 1 and len(out.splitlines()) == n + 1, (rc, len(out.splitlines()))
        assert rss < 1024 * glp.MEMORY_FACTOR, f"peak RSS {rss:.0f} MiB for {n} streamed tokens"
        # Findings dropped by the cap were never checked against suppression: a capped scan is
        # never clean, even when every reported finding is suppressed.
        glp.write(f"{d}/.glpatrolignore", "".join(f"gitlab.pat:{hashlib.sha256(t.encode()).hexdigest()} # test fixture\n"
                                                   for t in toks[:1000]))
        os.remove(f"{d}/z.env")
        p = glp.run(["dir", d, "-q"])
        assert p.returncode == 1, p.returncode


def test_C15_same_token_in_1000_files_one_fingerprint():
    t = glp.pat()
    with glp.TempDir() as d:
        for i in range(1000):
            glp.write(f"{d}/d{i % 10}/f{i}.env", f"T={t}\n")
        p = glp.run_json(["dir", d], check_rc=1)
        fs = p.doc["findings"]
        assert len(fs) == 1000  # one finding per (token, place)
        assert {f["fingerprint"] for f in fs} == {"gitlab.pat:" + hashlib.sha256(t.encode()).hexdigest()}
        assert p.doc["summary"]["unique_tokens"] == 1


def test_C16_placeholders_not_reported():
    pfx = glp.PAT
    lines = [pfx + "x" * 20, pfx + "X" * 20, pfx + "<your_token_here>", pfx + "${GITLAB_TOKEN}",
             pfx + "a" * 20, pfx + "*" * 20, pfx + "abcdefghijklmnopqrst", pfx + "0123456789abcdefghij",
             pfx + "your_token_goes_here", pfx + "EXAMPLEEXAMPLEEXAMPL", pfx + "xxxx-xxxx-xxxx-xxxxx",
             glp._p("gl", "rt-t1_") + "x" * 20, "_gitlab_session=" + "x" * 32, "t1_test_something_long_name"]
    p = glp.run_json(["stdin"], stdin="\n".join(lines).encode(), check_rc=0)
    assert p.doc["findings"] == []


def test_C17_routable_exact_start_offset():
    # The routable rules cannot use Hyperscan start-of-match; the CRC-32 locates the exact start.
    cases = [("", glp.routable()), ("x", glp.routable()), ("key=", glp.routable(versioned=False)),
             ("  ", glp.routable(prefix="corp-pat-")), ("<", glp.routable(prefix="a:b@c.d/e+f=")),
             ("'", glp.token("gitlab.runner_auth.routable"))]
    for lead, tok in cases:
        p = glp.run_json(["stdin"], stdin=(lead + tok + "\n").encode(), check_rc=1)
        got = [(f["column"], f["end_column"]) for f in p.doc["findings"]]
        assert got == [(len(lead) + 1, len(lead) + 1 + len(tok))], (lead, got)


if __name__ == "__main__":
    glp.main([v for k, v in sorted(globals().items()) if k.startswith("test_")])
