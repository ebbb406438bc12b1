#!/usr/bin/env python3
"""Builds the git-history benchmark repository reproducibly (same seed -> same objects).

Shape (modelled on a mid-size C project's history, e.g. redis: ~19k commits, ~32k blobs,
~2.2 GB of blob content): a few thousand source-like text files of 2-400 KB that change a
few lines per commit, a handful of multi-megabyte generated files that change slightly now
and then (long delta chains), feature branches merged back, then `git repack -adf` so the
objects live in one delta-compressed pack like a fresh clone. A few generated tokens are
planted (generated at run time; nothing token-shaped is committed to glpatrol).

usage: git_make_repo.py DEST [--target-gb 2.2] [--seed 1]
"""
import argparse
import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import glp  # noqa: E402  (token generators)

WORDS = ("static int void return struct const char unsigned long size_t if else for while "
         "switch case break continue goto sizeof typedef enum union extern inline NULL "
         "buffer len count index node list head tail next prev key value hash table entry "
         "client server reply command object string array dict expire ttl flags mask "
         "error ok status result alloc free malloc realloc memcpy memset strlen snprintf "
         "assert debug log verbose config option master replica cluster slot shard").split()


def make_pool(rng, n):
    pool = []
    for i in range(n):
        indent = "    " * rng.randrange(0, 4)
        k = rng.randrange(2, 12)
        body = " ".join(rng.choice(WORDS) for _ in range(k))
        if rng.random() < 0.3:
            body += f"({rng.choice(WORDS)}, {rng.randrange(100000)});"
        elif rng.random() < 0.3:
            body = f"/* {body} {i} */"
        pool.append(indent + body)
    return pool


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dest")
    ap.add_argument("--target-gb", type=float, default=2.2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--files", type=int, default=2500)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    glp._rng.seed(a.seed)
    target = int(a.target_gb * 1e9)
    if os.path.exists(a.dest):
        sys.exit(f"{a.dest} exists; remove it first")
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    subprocess.run(["git", "init", "-q", "-b", "main", a.dest], check=True, env=env)
    pool = make_pool(rng, 60000)

    files = {}
    for i in range(a.files):
        d = f"src/mod{i % 97:02d}" if i % 5 else f"lib/pkg{i % 31:02d}/sub{i % 7}"
        name = f"{d}/file{i:05d}.c"
        n = int(min(6000, max(30, rng.lognormvariate(6.3, 1.0))))  # lines; median ~550
        files[name] = [rng.randrange(len(pool)) for _ in range(n)]
    big = {}
    for i in range(6):
        name = f"generated/table{i}.h"
        big[name] = [rng.randrange(len(pool)) for _ in range(rng.randrange(40000, 120000))]

    fi = subprocess.Popen(["git", "-C", a.dest, "fast-import", "--quiet", "--depth=50"],
                          stdin=subprocess.PIPE, env=env)
    out = fi.stdin
    mark = [0]
    total = [0]
    tick = [1500000000]

    def blob(lines):
        data = ("\n".join(pool[j] if isinstance(j, int) else j for j in lines) + "\n").encode()
        mark[0] += 1
        out.write(b"blob\nmark :%d\ndata %d\n" % (mark[0], len(data)))
        out.write(data)
        out.write(b"\n")
        total[0] += len(data)
        return mark[0]

    def commit(branch, msg, changes, parent=None, merge=None):
        tick[0] += 600
        mark[0] += 1
        m = mark[0]
        who = f"Dev {rng.randrange(40)} <dev{rng.randrange(40)}@example.com>"
        out.write(f"commit refs/heads/{branch}\nmark :{m}\n".encode())
        out.write(f"author {who} {tick[0]} +0000\ncommitter {who} {tick[0]} +0000\n".encode())
        mb = msg.encode()
        out.write(b"data %d\n%s\n" % (len(mb), mb))
        if parent:
            out.write(f"from :{parent}\n".encode())
        if merge:
            out.write(f"merge :{merge}\n".encode())
        for path, bm in changes:
            if bm is None:
                out.write(f"D {path}\n".encode())
            else:
                out.write(f"M 100644 :{bm} {path}\n".encode())
        return m

    # initial import: every file
    names = sorted(files)
    head = commit("main", "initial import", [(n, blob(files[n])) for n in names + sorted(big)
                                              if n in files] + [(n, blob(big[n])) for n in sorted(big)])
    planted = 0
    ncommits = 1
    t0 = time.time()
    side = None
    side_base = None
    while total[0] < target:
        ncommits += 1
        on_side = side is not None
        changes = []
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            n = rng.choice(names)
            lines = files[n]
            for _ in range(rng.randrange(1, 6)):
                op = rng.random()
                pos = rng.randrange(len(lines) + 1)
                if op < 0.45:
                    lines.insert(pos, rng.randrange(len(pool)))
                elif op < 0.7 and len(lines) > 10:
                    del lines[min(pos, len(lines) - 1)]
                else:
                    lines[min(pos, len(lines) - 1)] = rng.randrange(len(pool))
            if planted < 8 and rng.random() < 0.0004:
                lines.insert(rng.randrange(len(lines)), f'    const char *token = "{glp.pat()}";')
                planted += 1
            changes.append((n, blob(lines)))
        if rng.random() < 0.01:
            n = rng.choice(sorted(big))
            bl = big[n]
            for _ in range(3):
                bl[rng.randrange(len(bl))] = rng.randrange(len(pool))
            changes.append((n, blob(bl)))
        if rng.random() < 0.004:  # a new file
            n = f"src/new/file{ncommits:06d}.c"
            files[n] = [rng.randrange(len(pool)) for _ in range(rng.randrange(50, 2000))]
            names.append(n)
            changes.append((n, blob(files[n])))
        msg = f"{rng.choice(WORDS)}: {' '.join(rng.choice(WORDS) for _ in range(6))}"
        if on_side:
            side = commit("feature", msg, changes, parent=side)
            if rng.random() < 0.15:  # merge the feature branch back
                head = commit("main", "Merge branch 'feature'", [], parent=head, merge=side)
                side = None
        else:
            head = commit("main", msg, changes, parent=head)
            if rng.random() < 0.02:
                side_base = head
                side = side_base
        if ncommits % 2000 == 0:
            print(f"  {ncommits} commits, {total[0] / 1e9:.2f} GB, {time.time() - t0:.0f} s",
                  file=sys.stderr)
    out.write(b"done\n")
    out.close()
    if fi.wait() != 0:
        sys.exit("fast-import failed")
    subprocess.run(["git", "-C", a.dest, "checkout", "-q", "-f", "main"], check=True, env=env)
    t1 = time.time()
    subprocess.run(["git", "-C", a.dest, "repack", "-a", "-d", "-f", "-q", "--window=10",
                    "--depth=50", "--threads=2"], check=True, env=env)
    print(f"{ncommits} commits, {mark[0]} marks, {total[0] / 1e9:.2f} GB of blob content, "
          f"{planted} planted tokens; repack {time.time() - t1:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
