"""The one kind of error the `lessons` command reports as a single line.

Every problem a learner can fix (an unknown step, a port in use, a missing
database server) is a LessonsError whose message says what to do. Anything else
is a bug in the tool, and keeps its traceback.
"""


class LessonsError(Exception):
    """A problem the learner can fix; the message says how."""
