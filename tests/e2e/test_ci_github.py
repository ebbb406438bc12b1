"""The GitHub Action (action.yml + ci/github-action.sh) run locally in a simulated GitHub
environment: a fake pull_request event (GITHUB_EVENT_PATH), GITHUB_STEP_SUMMARY, GITHUB_OUTPUT,
GITHUB_ENV, on a repository built here. The steps are taken from action.yml itself (their
env: mappings with ${{ inputs.* }} resolved like the runner does, their run: text executed by
bash like the runner does), so action.yml and the script are tested together."""
import json
import os
import re
import subprocess

import yaml

import glp
from test_git_fixtures import Repo

SRC = os.path.abspath(glp.SRC)
ACTION = yaml.safe_load(open(os.path.join(SRC, "action.yml")))


def parse_env_file(path):
    """GITHUB_OUTPUT / GITHUB_ENV syntax: name=value or name<<DELIM ... DELIM."""
    out, lines = {}, open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line:
            name, delim = line.split("<<", 1)
            j = lines.index(delim, i + 1)
            out[name] = "\n".join(lines[i + 1:j])
            i = j + 1
        elif "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
            i += 1
        else:
            i += 1
    return out


def run_action(d, repo, event_name, event, inputs=None, extra_env=None):
    """Runs the action's steps as the runner would; returns (rc, stdout, outputs, summary)."""
    inputs = dict(inputs or {})
    values = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()}
    values.update(inputs)
    values.setdefault("glpatrol-path", glp.BIN)
    if not inputs.get("glpatrol-path"):
        values["glpatrol-path"] = glp.BIN
    event_path = os.path.join(d, "event.json")
    glp.write(event_path, json.dumps(event))
    files = {n: os.path.join(d, n) for n in ("summary.md", "output.txt", "env.txt")}
    for f in files.values():
        glp.write(f, "")
    base_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": d, "LC_ALL": "C.UTF-8",
                "GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_EVENT_NAME": event_name,
                "GITHUB_EVENT_PATH": event_path, "GITHUB_STEP_SUMMARY": files["summary.md"],
                "GITHUB_OUTPUT": files["output.txt"], "GITHUB_ENV": files["env.txt"],
                "GITHUB_ACTION_PATH": SRC, "GITHUB_WORKSPACE": repo, "RUNNER_TEMP": d}
    # A sanitizer build's settings (glp.py: the LSan suppressions for libgit2's known leak, the
    # ASan quarantine) reach the binary the action runs.
    base_env.update({k: os.environ[k] for k in ("ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS") if k in os.environ})
    base_env.update(extra_env or {})
    stdout, rc = "", 0
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step["run"], "inputs spliced into shell text: " + step["run"]
        env = dict(base_env)
        env.update(parse_env_file(files["env.txt"]))
        for k, v in (step.get("env") or {}).items():
            m = re.fullmatch(r"\$\{\{ inputs\.([a-z-]+) \}\}", str(v))
            assert m, f"env {k} is not a plain input reference: {v}"
            env[k] = values[m.group(1)]
        # The runner writes run: to a file and executes `bash --noprofile --norc -eo pipefail {0}`.
        script = os.path.join(d, "step.sh")
        glp.write(script, step["run"])
        # One pipe for both streams, as in the runner's log (the order of lines matters for
        # ::stop-commands::).
        p = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", script], cwd=repo, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        stdout += p.stdout.decode("utf-8", "replace")
        rc = p.returncode
        if rc != 0:
            break
    outputs = parse_env_file(files["output.txt"])
    summary = open(files["summary.md"], encoding="utf-8").read()
    return rc, stdout, outputs, summary


def pr_repo(d, n_tokens=3, weird_names=True):
    r = Repo(os.path.join(d, "repo"))
    old = glp.pat()
    base = r.commit("base", {"README": "x\n", "old.env": f"T={old}\n"})
    r.git("checkout", "-q", "-b", "feature")
    toks = [glp.pat() for _ in range(n_tokens)]
    files = {f"src/f{i}.env": f"T={t}\n" for i, t in enumerate(toks)}
    crit = glp.token("gitlab.runner_auth")
    files["runner.toml"] = f'token = "{crit}"\n'
    if weird_names:
        files["a,b:c%\n::error::x"] = f"{toks[0]}\n"
        files["<b>x&y|z.txt"] = f"{toks[1]}\n"
    head = r.commit("feature", files)
    return r, base, head, old, toks + [crit]


def event(base, head, number=7):
    return {"pull_request": {"number": number, "base": {"sha": base}, "head": {"sha": head}}}


def test_pull_request_range_sarif_summary_annotations_outputs():
    with glp.TempDir() as d:
        r, base, head, old, toks = pr_repo(d)
        rc, out, outputs, summary = run_action(d, r.path, "pull_request", event(base, head))
        assert rc == 1, out
        assert "GitHub Actions pull request #7: range" in out, out
        # Outputs
        sarif = os.path.join(r.path, outputs["sarif-file"])
        assert outputs["sarif-file"] == "glpatrol.sarif" and os.path.exists(sarif), outputs
        doc = json.load(open(sarif))
        assert doc["version"] == "2.1.0" and doc["runs"][0]["results"]
        report = json.load(open(os.path.join(r.path, outputs["report-file"])))
        unsuppressed = [f for f in report["findings"] if not f["suppressed"]]
        assert outputs["findings-count"] == str(len(unsuppressed)) == "6", outputs
        assert outputs["exit-code"] == "1"
        # Only the pull request's commits: the token already in base is not reported.
        assert all(f["path"] != "old.env" for f in report["findings"])
        # No raw token anywhere we print or write for GitHub.
        for t in toks + [old]:
            assert t not in out and t not in summary and t not in open(sarif).read()
        # Annotations: at most 10, escaped; most severe first (critical PATs before the
        # high-severity runner token).
        cmds = [l for l in out.splitlines() if l.startswith("::")]
        errors = [l for l in cmds if l.startswith("::error file=")]
        assert len(errors) == 6
        assert "runner.toml" in errors[-1], errors
        # glpatrol's own output runs with workflow commands stopped.
        stops = [l for l in cmds if l.startswith("::stop-commands::")]
        assert len(stops) == 1 and ("::" + stops[0].split("::")[2] + "::") in cmds
        for l in cmds:
            assert re.match(r"::(error|warning|notice)( [^:]*)?::", l) or "glpatrol-" in l, l
        weird = [l for l in errors if "a%2Cb%3Ac%25%0A%3A%3Aerror%3A%3Ax" in l]
        assert weird, errors
        assert not any(l.startswith("::error::x") for l in out.splitlines())
        assert any("6 finding(s)" in l for l in cmds if l.startswith("::notice"))
        # Job summary: HTML-escaped, small.
        assert "glpatrol" in summary and "&lt;b&gt;x&amp;y&#124;z.txt" in summary, summary
        assert "<b>" not in summary
        assert len(summary.encode()) < 1024 * 1024


def test_fail_on_findings_false_and_history_mode():
    with glp.TempDir() as d:
        r, base, head, old, toks = pr_repo(d, weird_names=False)
        rc, out, outputs, _ = run_action(d, r.path, "pull_request", event(base, head),
                                         {"fail-on-findings": "false"})
        assert rc == 0 and outputs["findings-count"] == "4", out
        rc, out, outputs, _ = run_action(d, r.path, "workflow_dispatch", {}, {"mode": "history"})
        assert rc == 1 and outputs["findings-count"] == "5", out   # the old token too


def test_two_hundred_findings_ten_annotations_and_a_capped_summary():
    with glp.TempDir() as d:
        r = Repo(os.path.join(d, "repo"))
        base = r.commit("base", {"README": "x\n"})
        long_dir = "d" * 120 + "/" + "e" * 120
        files = {f"{long_dir}/file{i}.env": "".join(f"T{j}={glp.pat()}\n" for j in range(10))
                 for i in range(300)}
        head = r.commit("many", files)
        rc, out, outputs, summary = run_action(d, r.path, "pull_request", event(base, head))
        assert rc == 1
        assert outputs["findings-count"] == "3000"
        errors = [l for l in out.splitlines() if l.startswith("::error file=")]
        assert len(errors) == 10
        assert len(summary.encode()) < 1024 * 1024
        assert "more finding(s) not shown" in summary


def test_shallow_checkout_is_reported_with_the_fix():
    with glp.TempDir() as d:
        r, base, head, old, toks = pr_repo(d, weird_names=False)
        shallow = os.path.join(d, "shallow")
        subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", "feature", "file://" + r.path, shallow],
                       check=True)
        rc, out, outputs, _ = run_action(d, shallow, "pull_request", event(base, head))
        assert rc == 2, out
        assert "fetch-depth: 0" in out, out


def test_inputs_are_never_shell_text():
    with glp.TempDir() as d:
        r, base, head, old, toks = pr_repo(d, weird_names=False)
        marker = os.path.join(d, "PWNED")
        for inputs in ({"mode": "range", "base": f"$(touch {marker})"},
                       {"mode": "range", "base": f"x;touch {marker}"},
                       {"path": f"'; touch {marker}; '"},
                       {"extra-args": f"$(touch {marker}) `touch {marker}`"},
                       {"sarif-file": f"x$(touch {marker}).sarif"}):
            rc, out, outputs, _ = run_action(d, r.path, "pull_request", event(base, head), inputs)
            assert rc != 0
            assert not os.path.exists(marker), inputs
        # An input value with a newline cannot start a workflow command in the log.
        rc, out, outputs, _ = run_action(d, r.path, "pull_request", event(base, head),
                                         {"path": "x\n::error::injected", "config": "y\n::error::injected2"})
        assert rc != 0
        stopped = False
        for line in out.splitlines():
            if line.startswith("::stop-commands::"):
                stopped = line.split("::")[2]
            elif stopped and line == f"::{stopped}::":
                stopped = False
            elif not stopped:
                assert "injected" not in line or not line.startswith("::"), line
        # A valid explicit range works.
        rc, out, outputs, _ = run_action(d, r.path, "push", {}, {"mode": "range", "base": base, "head": head})
        assert rc == 1 and outputs["findings-count"] == "4", out


if __name__ == "__main__":
    glp.main([
        test_pull_request_range_sarif_summary_annotations_outputs,
        test_fail_on_findings_false_and_history_mode,
        test_two_hundred_findings_ten_annotations_and_a_capped_summary,
        test_shallow_checkout_is_reported_with_the_fix,
        test_inputs_are_never_shell_text,
    ])
