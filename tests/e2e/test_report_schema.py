"""Every JSON report glpatrol writes validates against docs/report.schema.json."""
import json
import os
import subprocess

import jsonschema

import glp

SCHEMA = json.load(open(os.path.join(glp.SRC, "docs", "report.schema.json")))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def check(doc):
    errors = sorted(VALIDATOR.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_dir_report_with_hostile_names_validates():
    with glp.TempDir() as d:
        glp.write(f"{d}/a.env", f"X={glp.pat()}\r\n{glp.routable()}\n")
        glp.write(os.path.join(d.encode(), b"latin1-\xe9.txt"), glp.token("gitlab.deploy_token"))
        glp.write(f"{d}/ctl\x1b[31m.txt", glp.token("gitlab.job_token"))
        os.mkfifo(f"{d}/fifo")
        p = glp.run_json(["dir", d], check_rc=1)
        check(p.doc)
        [latin] = [f for f in p.doc["findings"] if "path_bytes_b64" in f]
        import base64
        assert base64.b64decode(latin["path_bytes_b64"]).endswith(b"latin1-\xe9.txt")
        p = glp.run_json(["dir", d, "--show-secrets"], check_rc=1)
        check(p.doc)
        for line in glp.run(["dir", d, "-f", "jsonl"], check_rc=1).stdout.splitlines():
            errors = list(jsonschema.Draft202012Validator(SCHEMA["$defs"]["finding"] | {"$defs": SCHEMA["$defs"]}).iter_errors(json.loads(line)))
            assert not errors, errors[0].message


def test_clean_and_stdin_reports_validate():
    with glp.TempDir() as d:
        glp.write(f"{d}/x.txt", "nothing here")
        check(glp.run_json(["dir", d], check_rc=0).doc)
    check(glp.run_json(["stdin"], stdin=glp.pat().encode(), check_rc=1).doc)


def test_history_report_validates():
    with glp.TempDir() as d:
        def git(*a):
            subprocess.run(["git", "-C", d, *a], check=True, capture_output=True,
                           env={**os.environ, "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.com",
                                "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@example.com"})
        git("init", "-q", "-b", "main")
        glp.write(f"{d}/cfg.yml", f"token: {glp.pat()}\n")
        git("add", ".")
        git("commit", "-qm", "add config")
        os.remove(f"{d}/cfg.yml")
        git("commit", "-qam", "remove config")
        p = glp.run_json(["git", d], check_rc=1)
        check(p.doc)
        [f] = [f for f in p.doc["findings"] if f["location_kind"] == "blob"]
        assert f["commit"]["message"] == "add config" and f["in_head"] is False


if __name__ == "__main__":
    glp.main([v for k, v in sorted(globals().items()) if k.startswith("test_")])
