export GITLAB_URL=https://gitlab.example.com
export GITLAB_TOKEN=${GITLAB_TOKEN}
