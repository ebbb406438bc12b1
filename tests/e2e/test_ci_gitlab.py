"""The GitLab CI template (ci/glpatrol.gitlab-ci.yml) run for real by gitlab-ci-local in shell
mode, on a repository built here: the merge request range, pushed commits, the historic scan
and a `parallel:` sharded scan merged into one report; the produced
gl-secret-detection-report.json is validated against GitLab's schema (15.2.1).

gitlab-ci-local (npm, 4.56.2) is installed by .ci/run into build-tools/gitlab-ci-local; set
GITLAB_CI_LOCAL to use another. It cannot run a job that names an image: without Docker; the
template's jobs name none (container users add one), so the template's own `glpatrol` job
runs here unchanged. GITLAB_CI=true is set because gitlab-ci-local reports GITLAB_CI=false."""
import json
import os
import re
import shutil
import subprocess

import jsonschema

import glp
from test_git_fixtures import Repo

SRC = os.path.abspath(glp.SRC)
# The schema is found like the report tests find it (../shared/schemas beside the checkout).
from test_reports import GITLAB_SCHEMA as SCHEMA  # noqa: E402


def gitlab_ci_local():
    cands = [os.environ.get("GITLAB_CI_LOCAL", ""),
             os.path.join(SRC, "build-tools", "gitlab-ci-local", "node_modules", ".bin", "gitlab-ci-local"),
             shutil.which("gitlab-ci-local") or ""]
    for c in cands:
        if c and os.path.exists(c):
            return c
    raise AssertionError("gitlab-ci-local not found: run `npm install --prefix build-tools/gitlab-ci-local "
                         "gitlab-ci-local@4.56.2` in the source tree (.ci/run does), or set GITLAB_CI_LOCAL")


PIPELINE = """include:
  - local: ci/glpatrol.gitlab-ci.yml

glpatrol-history:
  extends: .glpatrol-shard
  parallel: 3
  rules:
    - if: $SHARDED == "true"

glpatrol-history-report:
  extends: .glpatrol-merge
  needs: [glpatrol-history]
  rules:
    - if: $SHARDED == "true"
"""


def project(d):
    r = Repo(os.path.join(d, "project"))
    os.makedirs(os.path.join(r.path, "ci"))
    shutil.copy(os.path.join(SRC, "ci", "glpatrol.gitlab-ci.yml"), os.path.join(r.path, "ci"))
    old = glp.pat()
    files = {".gitlab-ci.yml": PIPELINE, ".gitignore": ".gitlab-ci-local/\n", "old.env": f"T={old}\n"}
    base = r.commit("base", files)
    r.git("remote", "add", "origin", "https://gitlab.example.com/group/project.git")
    new = glp.pat()
    mid = r.commit("feature 1", {"app/config.yml": f"token: {new}\n"})
    trig = glp.token("gitlab.pipeline_trigger")
    head = r.commit("feature 2", {"deploy.sh": f"curl -F token={trig} x\n"})
    return r, base, mid, head, old, new, trig


def run_ci(repo, *args, variables=None, check_rc=0):
    cmd = [gitlab_ci_local(), "--shell-executor-no-image", "--no-color",
           "--variable", "GITLAB_CI=true", "--variable", f"GLPATROL_BIN={glp.BIN}"]
    for k, v in (variables or {}).items():
        cmd += ["--variable", f"{k}={v}"]
    env = dict(os.environ)
    env.update({"HOME": os.path.dirname(repo), "NO_COLOR": "1", "FORCE_COLOR": "0"})
    p = subprocess.run(cmd + list(args), cwd=repo, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=300)
    out = p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")
    if check_rc is not None:
        assert p.returncode == check_rc, f"gitlab-ci-local rc={p.returncode}\n{out[-6000:]}"
    return out


def gl_report(repo, job="glpatrol"):
    cands = [os.path.join(repo, ".gitlab-ci-local", "artifacts", job, "gl-secret-detection-report.json"),
             os.path.join(repo, "gl-secret-detection-report.json")]
    path = next((c for c in cands if os.path.exists(c)), None)
    assert path, f"no gl-secret-detection-report.json for {job}: {cands}"
    doc = json.load(open(path))
    assert SCHEMA, "GitLab report schema not found (../shared/schemas)"
    jsonschema.validate(doc, json.load(open(SCHEMA)))
    return doc


def files_of(doc):
    return sorted(v["location"]["file"] for v in doc["vulnerabilities"])


def test_merge_request_pipeline_scans_the_mr_range_and_publishes_a_valid_report():
    with glp.TempDir() as d:
        r, base, mid, head, old, new, trig = project(d)
        out = run_ci(r.path, "glpatrol", variables={"CI_MERGE_REQUEST_DIFF_BASE_SHA": base,
                                                    "CI_MERGE_REQUEST_IID": "5"})
        assert "GitLab CI merge request !5" in out and "range " + base[:12] in out, out[-4000:]
        assert "WARN" in out, out[-3000:]  # exit 1 is an allowed failure
        doc = gl_report(r.path)
        assert files_of(doc) == ["app/config.yml", "deploy.sh"]
        assert doc["scan"]["type"] == "secret_detection"
        shas = {v["location"]["commit"]["sha"] for v in doc["vulnerabilities"]}
        assert shas == {mid, head}
        text = json.dumps(doc)
        for t in (old, new, trig):
            assert t not in text and t not in out, "raw token in report or log"


def test_push_pipeline_scans_the_pushed_commits():
    with glp.TempDir() as d:
        r, base, mid, head, old, new, trig = project(d)
        out = run_ci(r.path, "glpatrol", variables={"CI_COMMIT_BEFORE_SHA": mid})
        assert "GitLab CI push" in out, out[-4000:]
        assert files_of(gl_report(r.path)) == ["deploy.sh"]


def test_historic_scan_and_clean_pipeline():
    with glp.TempDir() as d:
        r, base, mid, head, old, new, trig = project(d)
        out = run_ci(r.path, "glpatrol", variables={"SECRET_DETECTION_HISTORIC_SCAN": "true"})
        assert "full history" in out, out[-4000:]
        assert files_of(gl_report(r.path)) == ["app/config.yml", "deploy.sh", "old.env"]
        # A clean range: success, an empty but valid report.
        clean = r.commit("docs", {"docs.md": "nothing here\n"})
        out = run_ci(r.path, "glpatrol", variables={"CI_COMMIT_BEFORE_SHA": head})
        assert clean[:12] in out or "GitLab CI push" in out
        assert gl_report(r.path)["vulnerabilities"] == []
        # The whole pipeline, as GitLab would start it: the job's rules pick it for a branch
        # pipeline, and SECRET_DETECTION_DISABLED turns it off.
        out = run_ci(r.path, variables={"CI_COMMIT_BEFORE_SHA": head})
        assert re.search(r"^glpatrol +starting shell", out, re.M), out[-3000:]
        out = run_ci(r.path, variables={"SECRET_DETECTION_DISABLED": "true"})
        assert not re.search(r"^glpatrol +starting", out, re.M), out[-3000:]


def test_parallel_shards_merge_into_the_single_machine_report():
    with glp.TempDir() as d:
        r, base, mid, head, old, new, trig = project(d)
        for i in range(12):  # enough blobs that every shard gets some
            r.commit(f"more {i}", {f"lib/f{i}.env": f"K={glp.pat()}\n"})
        out = run_ci(r.path, "glpatrol-history-report", "--needs", variables={"SHARDED": "true"})
        assert "glpatrol-history: [1/3]" in out or "[1/3]" in out, out[-4000:]
        merged = gl_report(r.path, "glpatrol-history-report")
        # The same pipeline's single-machine historic scan.
        run_ci(r.path, "glpatrol", variables={"SECRET_DETECTION_HISTORIC_SCAN": "true"})
        single = gl_report(r.path)
        assert len(single["vulnerabilities"]) == 15
        assert merged["vulnerabilities"] == single["vulnerabilities"]


if __name__ == "__main__":
    glp.main([
        test_merge_request_pipeline_scans_the_mr_range_and_publishes_a_valid_report,
        test_push_pipeline_scans_the_pushed_commits,
        test_historic_scan_and_clean_pipeline,
        test_parallel_shards_merge_into_the_single_machine_report,
    ])
