"""gunicorn's settings for the web app (`make run`; gunicorn reads ./gunicorn.conf.py by default).

Limits. gunicorn answers a request over its own limits itself, with an HTML
page. Its limits are set above the app's (marketplace/core/edge.py: a request line
of 4094 bytes, 100 header fields of 8190 bytes), so that a request over the
app's limits but within these is answered by the app, in the one JSON error
shape (414, 431). Only a request line over 8190 bytes (gunicorn's maximum),
more than 200 header fields or one over 16380 bytes still get gunicorn's page.

Control socket. `gunicornc -s $VAR_DIR/gunicorn.ctl` talks to this instance
(worker status, reload); see control_socket below.

Metrics. Each worker keeps its Prometheus numbers in files under
PROMETHEUS_MULTIPROC_DIR (default: $VAR_DIR/prometheus), so that a scrape
answered by any worker adds up all of them (marketplace/core/metrics.py).
"""
import os
import shutil
from pathlib import Path

limit_request_line = 8190
limit_request_fields = 200
limit_request_field_size = 16380

var_dir = Path(os.environ.get("VAR_DIR", "var")).resolve()

# Set here, in the master, so that every worker imports prometheus-client with it.
metrics_dir = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(var_dir / "prometheus")))

# gunicorn's default is $XDG_RUNTIME_DIR or ~/.gunicorn, one path for every instance of the user: a second
# instance would take the socket of the first. Each instance keeps its own under its VAR_DIR.
control_socket = str(var_dir / "gunicorn.ctl")


def on_starting(server):
    # A previous run's files would be added to this run's numbers.
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
