"""The course tooling: the `lessons` command and the fixtures the step tests share."""
