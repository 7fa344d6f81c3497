"""gunicorn's settings for the production chain (gunicorn reads this file as Python).

    gunicorn --config deploy/gunicorn.conf.py deploy.wsgi:app

Each setting can be overridden by an environment variable, which is how
`lessons run 05 --production` picks free ports for you.
"""

import multiprocessing
import os

# --8<-- [start:settings]
# Listen on loopback only: nginx is the one door to the outside world.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")

# gunicorn's rule of thumb: (2 x CPUs) + 1 worker processes. Each "sync" worker
# (the default kind) serves one request at a time and closes the connection
# after answering, so while one waits on the database the others keep going.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))

# A worker silent for 30 s is killed and replaced: a stuck request cannot hold a
# worker forever. Requests that end normally never come near this.
timeout = 30

# On a restart or stop, workers get 10 s to finish the requests they are serving.
graceful_timeout = 10

# gunicorn refuses over-long requests with error pages of its own, in HTML.
# nginx checks the same things first, with stricter limits and problem details
# (nginx.conf.template: large_client_header_buffers 4 8k), so gunicorn's limits
# sit above anything nginx lets through: a request line of any length (0), up
# to 32768 header lines, each up to 16 KiB (nginx appends to X-Forwarded-For).
limit_request_line = 0
limit_request_fields = 32768
limit_request_field_size = 16 * 1024

# gunicorn 27 also opens a control socket in ~/.gunicorn/ for its admin
# commands; we don't use them, and nothing should be written outside our folder.
control_socket_disable = True

# One access-log line per request, to standard output ("-"): who, when, what,
# status, size, and how long it took (%(M)s, milliseconds).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
# --8<-- [end:settings]
