"""A loopback stand-in for a GitLab instance (REST API v4 + git smart HTTP); see
tests/support/gitlab_standin.py for the entry point and its documentation.

Modules, one concern each:
  model        the data (users, groups, projects, jobs, ..., tokens by digest) and access rules
  builder      the Python API that fills the model at test time
  git_backend  bare repositories (fast-import) and `git http-backend` as CGI
  auth         credentials, scopes, 401/403 answers
  router       requests, responses, route table, offset and keyset pagination
  entities     GitLab's JSON shapes
  api          the REST endpoints
  faults       fault injection and rate limiting
  reqlog       the request log
  server       the threaded HTTP(S) server tying them together
  generate     a whole generated instance for benchmarks
"""
