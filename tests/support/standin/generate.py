"""A generated instance for benchmarks and soak runs (gitlab_standin.py serve).

N projects spread over nested groups (top-level groups with subgroups up to three levels deep),
each with a small git history (three commits on the default branch, one merge-request head no
branch contains), CI jobs with logs, an issue with notes (one a system note), a merge request
with a note, a two-file snippet, a wiki page and a release. About one project in five carries
a generated token somewhere (a file in history, a job log, a note, a snippet file, a wiki page or
a release description); the returned state lists where, by SHA-256 only. Tokens are made at run
time by tests/e2e/glp.py; deterministic for a given seed (glp's own seed fixes the values).
"""
import concurrent.futures
import datetime as _dt
import os
import random
import sys

from .model import DEVELOPER, MAINTAINER, REPORTER, sha256

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "e2e"))
import glp  # noqa: E402

PLANT_KINDS = ["gitlab.pat", "gitlab.pat.routable", "gitlab.deploy_token", "gitlab.runner_auth",
               "gitlab.pipeline_trigger", "gitlab.feed_token", "gitlab.oauth_app_secret"]
WHERE = ["git", "job", "note", "snippet", "wiki", "release", "mr"]


def _log_lines(rng, n):
    steps = ["Fetching changes...", "Checking out 1a2b3c4d as detached HEAD", "$ make test",
             "ok   unit tests", "Uploading artifacts...", "Cleaning up project directory"]
    return "".join(f"[{i:04d}] {rng.choice(steps)}\n" for i in range(n))


def generate(gl, projects, seed=1):
    rng = random.Random(seed)
    t0 = _dt.datetime(2026, 1, 5, 9, 0, tzinfo=_dt.timezone.utc)
    root = gl.add_user("root", name="Administrator", is_admin=True, created_at=t0)
    admin_value = glp.routable()
    gl.add_personal_token(root, admin_value, name="standin admin", scopes=["api", "read_repository"],
                          created_at=t0, expires_at=None, label="admin")
    users = [gl.add_user(f"user{i}", created_at=t0) for i in range(max(4, projects // 10))]

    groups = []
    for i in range(max(2, projects // 50)):
        top = gl.add_group(f"group{i}", created_at=t0)
        groups.append(top)
        parent = top
        for depth in range(rng.randint(1, 3)):
            parent = gl.add_group(f"sub{i}-{depth}", parent=parent, created_at=t0)
            groups.append(parent)
    for u in users:
        gl.add_member(rng.choice(groups), u, rng.choice([REPORTER, DEVELOPER, MAINTAINER]))

    planted, history, mrs = [], [], []

    def plant(where, project):
        kind = rng.choice(PLANT_KINDS)
        value = glp.token(kind)
        planted.append({"where": where, "project": project, "kind": kind, "token_sha256": sha256(value)})
        return value

    for n in range(projects):
        g = groups[n % len(groups)]
        when = t0 + _dt.timedelta(hours=n)
        p = gl.add_project(g, f"project{n}", created_at=when, last_activity_at=when)
        full = gl.inst.project_full_path(p)
        target = rng.choice(WHERE) if n % 5 == 0 else None
        secret = (lambda where: f"\ntoken = {plant(where, full)}\n" if target == where else "")
        history.append((p, [
            dict(files={"README.md": f"# project {n}\n", "src/main.c": "int main(void) { return 0; }\n"},
                 message="initial", when=when),
            dict(files={"config/app.env": "LOG_LEVEL=info\n" + secret("git")}, message="config",
                 when=when + _dt.timedelta(minutes=5)),
            dict(files={"config/app.env": "LOG_LEVEL=debug\n"}, message="drop the secret",
                 when=when + _dt.timedelta(minutes=9)),
            # the merge request's head: on top of the default branch, on no branch
            dict(branch="refs/merge-requests/1/head", parent=":3", files={"feature.txt": f"feature {n}\n"},
                 message=f"feature {n}", when=when + _dt.timedelta(minutes=20)),
        ]))
        author = rng.choice(users)
        mr = gl.add_merge_request(p, f"Feature {n}", description="Adds things." + secret("mr"), author=author,
                                  created_at=when, updated_at=when + _dt.timedelta(hours=1))
        mrs.append(mr)
        gl.add_note(mr, "Looks good to me.", author=root, created_at=when + _dt.timedelta(hours=1))
        for k in range(2):
            gl.add_job(p, ["build", "test"][k], status="success", user=author,
                       created_at=when + _dt.timedelta(minutes=10 + k),
                       trace=_log_lines(rng, 40) + (secret("job") if k == 1 else ""))
        issue = gl.add_issue(p, f"Bug {n}", description="It breaks.", author=author, created_at=when)
        gl.add_note(issue, "changed the description", author=author, system=True,
                    created_at=when + _dt.timedelta(minutes=30))
        gl.add_note(issue, "Reproduced here." + secret("note"), author=root,
                    created_at=when + _dt.timedelta(minutes=40), discussion=f"i{n}")
        gl.add_snippet(p, f"helper {n}", {"run.sh": "#!/bin/sh\necho run\n",
                                          "notes.txt": "notes" + secret("snippet")},
                       author=author, created_at=when)
        gl.add_wiki_page(p, "home", f"Welcome to project {n}." + secret("wiki"))
        gl.add_release(p, "v1.0.0", description="First release." + secret("release"), author=root,
                       created_at=when + _dt.timedelta(days=1))
    # the git histories, several repositories at a time (git runs outside the GIL)
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        for mr, shas in zip(mrs, pool.map(lambda h: gl.add_commits(*h), history)):
            mr.sha = shas[-1]
    for i in range(max(1, projects // 20)):
        gl.add_snippet(None, f"personal {i}", {"scratch.txt": f"scratch {i}\n"}, author=users[i % len(users)])
    some = list(gl.inst.projects.values())[: max(1, projects // 10)]
    for p in some:
        gl.add_project_token(p, glp.routable(), name="deploy bot", scopes=["read_repository"], created_at=t0)
        gl.add_deploy_token(p, glp.token("gitlab.deploy_token"), created_at=t0)
    gl.add_group_token(groups[0], glp.routable(), name="group bot", scopes=["api"], created_at=t0,
                       expires_at=None)
    gl.add_runner(glp.token("gitlab.runner_auth"), description="shared runner")
    return {"admin_token": admin_value, "projects": projects, "groups": len(groups),
            "planted": planted}
