"""`python server.py --workers N`: N processes serve one listening socket.

Why processes: in one Python process only one thread runs Python code at a time
(the global interpreter lock, the GIL), so the threads of `server.py` take turns
on a single CPU core however many cores the machine has. gunicorn's answer is
several worker processes, and this is the same idea made small, "pre-fork":

1. `server.py` opens the listening socket (bind and listen) before any fork;
2. `os.fork()` makes N copies of the process, and each copy inherits that socket;
3. every worker accepts from it and serves as usual; the kernel gives each new
   connection to one of them, so they share the load without talking.

The parent serves nothing: it waits, and Ctrl-C (or `kill`) stops every worker.
What gunicorn adds on top: it restarts a worker that dies, and reloads on a
signal. POSIX only (`os.fork` does not exist on Windows).
"""

import contextlib
import os
import signal


def serve_in_processes(server, workers: int) -> None:
    """Fork `workers` copies that each serve `server`; return when all have stopped."""
    # Ctrl-C raises KeyboardInterrupt here; make `kill` (SIGTERM) do the same.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    children = []
    try:
        for _ in range(workers):
            pid = os.fork()
            if pid == 0:
                serve_as_worker(server)  # the child: never returns
            children.append(pid)
        for pid in children:
            os.waitpid(pid, 0)
    except KeyboardInterrupt:
        # In a terminal Ctrl-C reaches every process of the group; a `kill` reaches
        # only us, so pass it on. A worker that already stopped ignores it.
        for pid in children:
            with contextlib.suppress(ProcessLookupError):  # gone already
                os.kill(pid, signal.SIGTERM)
        for pid in children:
            with contextlib.suppress(ChildProcessError):  # waited for already
                os.waitpid(pid, 0)
    server.listener.close()


def serve_as_worker(server) -> None:
    """The body of one worker process: serve until told to stop, then exit."""
    server.multiprocess = True  # wsgi.multiprocess: the app may run in N processes

    def stop(signal_number, frame):
        """Ctrl-C or the parent's SIGTERM: finish the loop, then leave."""
        server.stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    try:
        server.serve_forever()
        server.shutdown()  # wake the connection threads and wait for them
    except BaseException:
        code = 1
    finally:
        os._exit(code)  # leave now: the parent's code after fork() is not ours
