"""The one kind of error the `lessons` command reports as a single line."""


class LessonsError(Exception):
    """A problem the learner can fix (an unknown step, a port in use, a missing
    database server); the message says what to do. Anything else is a bug in
    the tool, and keeps its traceback."""
