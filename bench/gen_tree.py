#!/usr/bin/env python3
"""Generates a reproducible source-like tree for the directory-mode benchmark.

usage: gen_tree.py OUT_DIR [SIZE_MIB] [SEED]

Files look like code and config (identifiers, dotted calls, strings, numbers, base64 blobs,
hex ids), so the routable-token prefilter (which keys on '.' + base36) sees realistic work.
A few tokens are planted at known places (generated at run time, never committed); their
count is written to OUT_DIR/.planted so the benchmark can check every tool found them.
"""
import base64
import os
import random
import sys
import zlib

out = sys.argv[1]
size = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 42)

WORDS = ("config user request response handler token value client server build test data "
         "index parse render update create delete fetch cache store query result error "
         "logger context options manager service factory module import export return").split()
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def ident():
    return "_".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))


def line():
    k = rng.random()
    if k < 0.30:
        return f"    {ident()}.{ident()}({ident()}, {rng.randint(0, 99999)});"
    if k < 0.50:
        return f"    const {ident()} = \"{' '.join(rng.choice(WORDS) for _ in range(rng.randint(2, 8)))}\";"
    if k < 0.60:
        return f"    \"{ident()}\": \"{''.join(rng.choice(B64) for _ in range(rng.randint(16, 64)))}\","
    if k < 0.70:
        return f"  # {' '.join(rng.choice(WORDS) for _ in range(rng.randint(4, 14)))}."
    if k < 0.78:
        return f"    {ident()}.{ident()}.{ident()} = {ident()}.{ident()}.v{rng.randint(1, 9)}.{rng.randint(0, 99)};"
    if k < 0.84:
        return f"    id = \"{rng.getrandbits(160):040x}\"  // sha"
    if k < 0.90:
        return ""
    return f"  if ({ident()} != null && {ident()}.length > {rng.randint(1, 500)}) {{ return {ident()}; }}"


POOL = [line() for _ in range(200000)]


def b36(n, w=0):
    d = "0123456789abcdefghijklmnopqrstuvwxyz"
    s = ""
    while True:
        s = d[n % 36] + s
        n //= 36
        if n == 0:
            break
    return s.rjust(w, "0")


def token(i):
    pfx = "gl" + "pat-"
    if i % 2 == 0:
        return pfx + "".join(rng.choice(B64.replace("0", "")) for _ in range(20))
    payload = f"o:1\nu:{b36(1000 + i)}".encode()
    enc = bytes(rng.getrandbits(8) for _ in range(16)) + payload + bytes([len(payload)])
    body = base64.urlsafe_b64encode(enc).rstrip(b"=").decode()
    wo = pfx + body + ".01." + b36(len(body), 2)
    return wo + b36(zlib.crc32(wo.encode()), 7)


os.makedirs(out, exist_ok=True)
target = size * 1024 * 1024
written = 0
n = 0
planted = 0
exts = [".js", ".py", ".go", ".java", ".c", ".json", ".yaml", ".md", ".ts", ".rb"]
while written < target:
    d = os.path.join(out, f"pkg{n // 500:03d}", f"mod{(n // 50) % 10}")
    os.makedirs(d, exist_ok=True)
    lines = rng.randint(50, 1500)
    body = "\n".join(rng.choice(POOL) for _ in range(lines)) + "\n"
    if n % 997 == 0:
        body += f"GITLAB_TOKEN = \"{token(planted)}\"\n"
        planted += 1
    path = os.path.join(d, f"file{n:06d}{rng.choice(exts)}")
    with open(path, "w") as f:
        f.write(body)
    written += len(body)
    n += 1
with open(os.path.join(out, ".planted"), "w") as f:
    f.write(f"{planted} {n} {written}\n")
print(f"{n} files, {written / 2**20:.0f} MiB, {planted} planted tokens in {out}")
