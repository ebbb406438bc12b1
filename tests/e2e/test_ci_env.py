"""glpatrol git --ci: the range comes from the CI environment (GitLab CI, GitHub Actions), is
printed and stored in the report; shallow clones are reported with the fix."""
import json
import os
import subprocess

import glp
from test_git_fixtures import Repo

CLEAN_ENV = {k: "" for k in ("GITLAB_CI", "GITHUB_ACTIONS", "CI_NODE_INDEX", "CI_NODE_TOTAL")}


def history(d):
    r = Repo(os.path.join(d, "r"))
    old = glp.pat()
    a = r.commit("a", {"old.env": f"T={old}\n"})
    b = r.commit("b", {"b.txt": "b\n"})
    new = glp.pat()
    c = r.commit("c", {"new.env": f"T={new}\n"})
    return r, a, b, c


def paths(p):
    return sorted(f["path"] for f in p.doc["findings"])


def test_gitlab_merge_request_and_push_ranges():
    with glp.TempDir() as d:
        r, a, b, c = history(d)
        env = dict(CLEAN_ENV, GITLAB_CI="true", CI_COMMIT_SHA=c, CI_MERGE_REQUEST_DIFF_BASE_SHA=b,
                   CI_MERGE_REQUEST_IID="9")
        p = glp.run_json(["git", r.path, "--ci"], env=env)
        assert p.returncode == 1 and paths(p) == ["new.env"]
        assert "GitLab CI merge request !9" in p.err and b[:12] in p.err
        assert p.doc["scan"]["ci"]["range"] == f"{b}..{c}"
        assert p.doc["scan"]["kind"] == "range"
        env = dict(CLEAN_ENV, GITLAB_CI="true", CI_COMMIT_SHA=c, CI_COMMIT_BEFORE_SHA=a)
        p = glp.run_json(["git", r.path, "--ci"], env=env)
        assert paths(p) == ["new.env"] and "GitLab CI push" in p.err
        env = dict(CLEAN_ENV, GITLAB_CI="true", CI_COMMIT_SHA=c, CI_COMMIT_BEFORE_SHA="0" * 40)
        p = glp.run_json(["git", r.path, "--ci"], env=env)
        assert paths(p) == ["new.env", "old.env"] and "full history" in p.err


def test_github_push_event_and_no_ci():
    with glp.TempDir() as d:
        r, a, b, c = history(d)
        ev = os.path.join(d, "event.json")
        glp.write(ev, json.dumps({"before": b, "after": c}))
        env = dict(CLEAN_ENV, GITHUB_ACTIONS="true", GITHUB_EVENT_NAME="push", GITHUB_EVENT_PATH=ev)
        p = glp.run_json(["git", r.path, "--ci"], env=env)
        assert paths(p) == ["new.env"] and "GitHub Actions push" in p.err
        p = glp.run(["git", r.path, "--ci"], env=CLEAN_ENV, check_rc=2)
        assert "no supported CI environment" in p.err
        p = glp.run(["git", r.path, "--ci", "--range", f"{a}..{c}"], env=env, check_rc=2)
        assert "cannot be combined" in p.err


def test_shallow_clone_is_reported_with_the_fix():
    with glp.TempDir() as d:
        r, a, b, c = history(d)
        shallow = os.path.join(d, "shallow")
        subprocess.run(["git", "clone", "-q", "--depth", "1", "file://" + r.path, shallow], check=True)
        # The range base is not in the clone: an error that says how to fix it, never "clean".
        env = dict(CLEAN_ENV, GITLAB_CI="true", CI_COMMIT_SHA=c, CI_COMMIT_BEFORE_SHA=a)
        p = glp.run(["git", shallow, "--ci"], env=env, check_rc=2)
        assert "GIT_DEPTH: 0" in p.err, p.err
        ev = os.path.join(d, "event.json")
        glp.write(ev, json.dumps({"pull_request": {"base": {"sha": a}, "head": {"sha": c}}}))
        env = dict(CLEAN_ENV, GITHUB_ACTIONS="true", GITHUB_EVENT_NAME="pull_request", GITHUB_EVENT_PATH=ev)
        p = glp.run(["git", shallow, "--ci"], env=env, check_rc=2)
        assert "fetch-depth: 0" in p.err, p.err
        # A full-history scan of a shallow clone: warned, and the report says incomplete.
        env = dict(CLEAN_ENV, GITLAB_CI="true", CI_COMMIT_SHA=c, SECRET_DETECTION_HISTORIC_SCAN="true")
        p = glp.run_json(["git", shallow, "--ci"], env=env)
        assert "GIT_DEPTH: 0" in p.err and p.doc["scan"]["complete"] is False


if __name__ == "__main__":
    glp.main([
        test_gitlab_merge_request_and_push_ranges,
        test_github_push_event_and_no_ci,
        test_shallow_clone_is_reported_with_the_fix,
    ])
