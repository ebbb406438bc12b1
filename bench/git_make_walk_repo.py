#!/usr/bin/env python3
"""Builds a walk-heavy git history reproducibly (same seed -> same objects): many commits that
each change one to three small files of a wide, nested tree, so a history scan's time goes to
walking commits and trees (like redis: ~19k commits), not to decoding blob content.

usage: git_make_walk_repo.py DEST [--commits 20000] [--files 3000] [--seed 1]
"""
import argparse
import os
import random
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dest")
    ap.add_argument("--commits", type=int, default=20000)
    ap.add_argument("--files", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    if os.path.exists(a.dest):
        sys.exit(f"{a.dest} exists; remove it first")
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    subprocess.run(["git", "init", "-q", "-b", "main", a.dest], check=True, env=env)
    paths = [f"src/d{i % 40:02d}/s{i % 7}/f{i:05d}.c" for i in range(a.files)]
    version = [0] * a.files
    fi = subprocess.Popen(["git", "-C", a.dest, "fast-import", "--quiet"], stdin=subprocess.PIPE, env=env)
    out = fi.stdin

    def data(b):
        out.write(b"data %d\n" % len(b) + b + b"\n")

    t = 1500000000
    for c in range(a.commits):
        t += 600
        out.write(b"commit refs/heads/main\n")
        out.write(b"committer Walk Bench <walk@example.com> %d +0000\n" % t)
        data(b"change %d" % c)
        changed = range(a.files) if c == 0 else [rng.randrange(a.files) for _ in range(rng.randrange(1, 4))]
        for i in changed:
            version[i] += 1
            out.write(b"M 100644 inline " + paths[i].encode() + b"\n")
            data(b"/* %s v%d */\nint f%d(void) { return %d; }\n" % (paths[i].encode(), version[i], i, version[i]))
    out.close()
    if fi.wait() != 0:
        sys.exit("fast-import failed")
    subprocess.run(["git", "-C", a.dest, "repack", "-adq", "--depth=50", "--window=10"], check=True, env=env)
    print(f"{a.commits} commits, {a.files} files")


if __name__ == "__main__":
    main()
