"""Sharded scans and `glpatrol merge`: N shards merged == one unsharded run (findings, SARIF
results, GitLab vulnerabilities); several repositories in one report (--repos-from), sharded
by repository; missing or mismatched shards are never a clean result."""
import json
import os

import glp
from test_git_fixtures import Repo


def build_history(path, commits=40):
    """A history with tokens in live files, deleted files, a token both deleted and in HEAD,
    commit messages and an annotated tag message."""
    r = Repo(path)
    shared, kept, copied = glp.pat(), glp.pat(), glp.pat()
    r.commit("init", {"README": "x\n", "keep/shared.txt": f"s={shared}\n",
                      # one blob under several paths (read by every shard owning one of them)
                      **{f"copies/c{k}.env": f"C={copied}\n" for k in range(6)}})
    for i in range(commits):
        files = {f"src/m{i % 7}.txt": f"rev {i}\n" + ("tok " + glp.pat() + "\n" if i % 3 == 0 else ""),
                 # a file edited again and again that keeps its token: later versions fold
                 # into the version that introduced it
                 f"conf/kept{i % 2}.env": f"K={kept}\nrev={i}\n"}
        if i % 5 == 0:
            files[f"tmp/leak{i}.env"] = f"T={glp.token('gitlab.deploy_token')}\nS={shared}\n"
        remove = [f"tmp/leak{i - 5}.env"] if i % 5 == 0 and i >= 5 else []
        msg = f"change {i}" + (f"\n\nci token {glp.token('gitlab.pipeline_trigger')}\n" if i % 11 == 0 else "")
        r.commit(msg, files, remove=remove)
    r.git("tag", "-a", "v1", "-m", f"release {glp.pat()}")
    return r


def findings_of(path):
    with open(path) as f:
        return json.load(f)["findings"]


def test_shards_merged_equal_one_unsharded_run():
    with glp.TempDir() as d:
        r = build_history(os.path.join(d, "r"))
        full = os.path.join(d, "full.json")
        glp.run(["git", r.path, "-q", "-r", f"json:{full}", "-r", f"sarif:{d}/full.sarif",
                 "-r", f"gitlab:{d}/full.gl.json"], check_rc=1)
        n = 3
        shard_reports, counts = [], []
        for i in range(1, n + 1):
            p = os.path.join(d, f"shard-{i}.json")
            glp.run(["git", r.path, "-q", "--shard", f"{i}/{n}", "-r", f"json:{p}"])
            shard_reports.append(p)
            doc = json.load(open(p))
            assert doc["scan"]["shard"] == {"index": i, "total": n, "by": "path", "origin": "--shard"}
            counts.append(len(doc["findings"]))
        base = findings_of(full)
        assert len(base) > 20
        assert sum(counts) == len(base) and all(0 < c < len(base) for c in counts), counts
        merged = os.path.join(d, "merged.json")
        glp.run(["merge", "-q", *shard_reports, "-r", f"json:{merged}", "-r", f"sarif:{d}/merged.sarif",
                 "-r", f"gitlab:{d}/merged.gl.json"], check_rc=1)
        got = findings_of(merged)
        assert got == base, "merged findings differ from the unsharded run"
        # in_head was re-derived across shards: a token in HEAD and in a deleted file.
        assert any(f["in_head"] is True and f["path"].startswith("tmp/") for f in got)
        mdoc, fdoc = json.load(open(merged)), json.load(open(full))
        assert mdoc["scan"]["complete"] and mdoc["scan"]["kind"] == "git"
        # The history exercises folding (later versions of a file keeping its token).
        assert fdoc["scan"]["git"].get("later_versions_folded", 1) > 0
        assert mdoc["scan"]["stats"]["commits"] == fdoc["scan"]["stats"]["commits"]
        # A blob stored under paths of two shards is read by both: never fewer.
        for k in ("blobs", "bytes", "files"):
            assert mdoc["scan"]["stats"][k] >= fdoc["scan"]["stats"][k], k
        assert mdoc["summary"] == fdoc["summary"]
        assert mdoc["scan"]["rules"] == fdoc["scan"]["rules"]
        s1, s2 = json.load(open(f"{d}/full.sarif")), json.load(open(f"{d}/merged.sarif"))
        assert s1["runs"][0]["results"] == s2["runs"][0]["results"]
        assert s1["runs"][0]["tool"] == s2["runs"][0]["tool"]
        g1, g2 = json.load(open(f"{d}/full.gl.json")), json.load(open(f"{d}/merged.gl.json"))
        assert g1["vulnerabilities"] == g2["vulnerabilities"]
        # Any order of inputs, any output format.
        p = glp.run(["merge", *reversed(shard_reports), "-f", "jsonl"], check_rc=1)
        assert [json.loads(l) for l in p.out.splitlines()] == base


def test_shard_defaults_to_gitlab_parallel_variables():
    with glp.TempDir() as d:
        r = build_history(os.path.join(d, "r"), commits=12)
        env = {"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "2"}
        p = glp.run_json(["git", r.path], env=env)
        assert p.doc["scan"]["shard"]["origin"] == "CI_NODE_INDEX/CI_NODE_TOTAL"
        assert p.doc["scan"]["shard"]["index"] == 2
        p2 = glp.run_json(["git", r.path, "--shard", "none"], env=env)
        assert "shard" not in p2.doc["scan"]
        assert len(p2.doc["findings"]) > len(p.doc["findings"])
        bad = glp.run(["git", r.path], env={"CI_NODE_INDEX": "3", "CI_NODE_TOTAL": "2"})
        assert bad.returncode == 2 and "--shard none" in bad.err
        for spec in ("0/2", "3/2", "1/0", "x", "1/2/3", "-1/2"):
            assert glp.run(["git", r.path, "--shard", spec]).returncode == 2, spec


def test_shard_refuses_staged_and_ranges_of_one_repository():
    with glp.TempDir() as d:
        r = build_history(os.path.join(d, "r"), commits=3)
        p = glp.run(["git", r.path, "--staged", "--shard", "1/2"], check_rc=2)
        assert "staged changes are scanned whole" in p.err
        p = glp.run(["git", r.path, "--range", "HEAD~2..HEAD", "--shard", "1/2"], check_rc=2)
        assert "a range are scanned whole" in p.err
        # ... but a pre-commit hook or an MR scan inside a GitLab parallel job is not broken
        # (nor split) by the job's variables: they are ignored with a note.
        par = {"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "2"}
        p = glp.run(["git", r.path, "--staged"], env=par, check_rc=0)
        assert "CI_NODE_INDEX/CI_NODE_TOTAL ignored" in p.err
        whole = glp.run_json(["git", r.path, "--range", "HEAD~3..HEAD"], env=par)
        assert "shard" not in whole.doc["scan"]
        assert whole.doc["findings"] == glp.run_json(["git", r.path, "--range", "HEAD~3..HEAD"]).doc["findings"]


def test_missing_or_mismatched_shards_are_not_clean():
    with glp.TempDir() as d:
        r = build_history(os.path.join(d, "r"), commits=9)
        reps = []
        for i in (1, 2, 3):
            p = os.path.join(d, f"s{i}.json")
            glp.run(["git", r.path, "-q", "--shard", f"{i}/3", "-r", f"json:{p}"])
            reps.append(p)
        p = glp.run_json(["merge", reps[0], reps[2]])
        assert p.doc["scan"]["complete"] is False
        assert any("shard report(s) 2 of 3 missing" in x for x in p.doc["scan"]["incomplete_reasons"])
        # A clean shard set with a missing shard exits 3, never 0.
        clean = Repo(os.path.join(d, "clean"))
        clean.commit("a", {"a": "1\n"})
        clean.commit("b", {"b": "2\n"})
        c1 = os.path.join(d, "c1.json")
        glp.run(["git", clean.path, "-q", "--shard", "1/2", "-r", f"json:{c1}"], check_rc=0)
        assert glp.run(["merge", c1]).returncode == 3
        other = os.path.join(d, "other.json")
        glp.run(["git", r.path, "-q", "--shard", "1/2", "-r", f"json:{other}"])
        p = glp.run(["merge", reps[0], other], check_rc=2)
        assert "not shards of one scan" in p.err
        unsharded = os.path.join(d, "u.json")
        glp.run(["git", r.path, "-q", "-r", f"json:{unsharded}"], check_rc=1)
        assert glp.run(["merge", reps[0], unsharded]).returncode == 2
        # Duplicates (the same report twice) are removed.
        p = glp.run_json(["merge", unsharded, unsharded])
        assert p.doc["findings"] == findings_of(unsharded)
        assert any("duplicate" in w for w in p.doc["scan"]["warnings"])
        # Not a glpatrol report / not JSON: exit 2.
        glp.write(os.path.join(d, "x.json"), '{"findings": [], "scan": {}, "tool": {"name": "gitleaks"}}')
        assert glp.run(["merge", os.path.join(d, "x.json")]).returncode == 2
        glp.write(os.path.join(d, "y.json"), "not json")
        assert glp.run(["merge", os.path.join(d, "y.json")]).returncode == 2


def test_several_repositories_one_report_and_sharded_by_repository():
    with glp.TempDir() as d:
        names = ["alpha", "beta", "gamma", "delta", "eps"]
        toks = {}
        for n in names:
            r = Repo(os.path.join(d, n))
            toks[n] = glp.pat()
            r.commit("init", {"cfg/app.env": f"T={toks[n]}\n"})
        listing = os.path.join(d, "repos.txt")
        glp.write(listing, "# organisation\n" + "".join(os.path.join(d, n) + "\n" for n in names[1:]) + "\n")
        full = os.path.join(d, "all.json")
        glp.run(["git", os.path.join(d, "alpha"), "--repos-from", listing, "-q", "-r", f"json:{full}"],
                check_rc=1)
        doc = json.load(open(full))
        paths = sorted(f["path"] for f in doc["findings"])
        assert paths == sorted(os.path.join(d, n, "cfg/app.env") for n in names), paths
        for f in doc["findings"]:
            repo = dict(f["attributes"])["repository"]
            assert f["path"].startswith(repo + "/")
        assert [e["repository"] for e in doc["scan"]["repositories"]] == [os.path.join(d, n) for n in names]
        # Sharded by repository: every repository in exactly one shard; merged == unsharded.
        reps, per = [], []
        for i in (1, 2):
            p = os.path.join(d, f"r{i}.json")
            glp.run(["git", os.path.join(d, "alpha"), "--repos-from", listing, "--shard", f"{i}/2", "-q",
                     "-r", f"json:{p}"])
            sd = json.load(open(p))
            assert sd["scan"]["shard"]["by"] == "repository"
            per.append({e["repository"] for e in sd["scan"]["repositories"]})
            reps.append(p)
        assert per[0].isdisjoint(per[1]) and len(per[0] | per[1]) == len(names)
        merged = glp.run_json(["merge", *reps])
        assert merged.doc["findings"] == doc["findings"]
        # A repository that cannot be opened: the others are scanned, the scan is incomplete.
        glp.write(listing, os.path.join(d, "missing") + "\n" + os.path.join(d, "beta") + "\n")
        p = glp.run_json(["git", "--repos-from", listing])
        assert p.returncode == 1 and len(p.doc["findings"]) == 1
        assert p.doc["scan"]["complete"] is False
        assert any(k["reason"] == "repository-error" for k in p.doc["scan"]["skipped"])
        # Only the broken one: exit 3, never 0.
        glp.write(listing, os.path.join(d, "missing") + "\n" + os.path.join(d, "nothere") + "\n")
        assert glp.run(["git", "--repos-from", listing, "-q"]).returncode == 3


if __name__ == "__main__":
    glp.main([
        test_shards_merged_equal_one_unsharded_run,
        test_shard_defaults_to_gitlab_parallel_variables,
        test_shard_refuses_staged_and_ranges_of_one_repository,
        test_missing_or_mismatched_shards_are_not_clean,
        test_several_repositories_one_report_and_sharded_by_repository,
    ])
