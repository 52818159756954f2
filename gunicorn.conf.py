"""gunicorn in production: threaded workers (the upstream calls wait on the network)."""

import gc
import os

from backupsui.env import env_bool
from backupsui.logs import ACCESS_FORMAT, gunicorn_config, log_format

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
keepalive = 5
timeout = 60
graceful_timeout = 20
max_requests = 2000
max_requests_jitter = 200
accesslog = os.environ.get("GUNICORN_ACCESSLOG")  # unset: no access log; "-": standard output
# Lines as the panel writes them (backupsui/logs.py): one JSON object per line, access lines
# with the request id, unless BACKUPSUI_LOG_FORMAT=plain (the default with DJANGO_DEBUG on).
access_log_format = ACCESS_FORMAT
if log_format(env_bool("DJANGO_DEBUG", False)) == "json":
    logconfig_dict = gunicorn_config(accesslog)
# gunicorn's control socket is one path per host, shared by every instance on it: off.
control_socket_disable = True
# gunicorn believes no forwarded header from anyone: the panel decides whom to believe
# (BACKUPSUI_TRUSTED_PROXIES), and gunicorn's default would trust any local client.
forwarded_allow_ips = ""


def post_worker_init(worker):
    # Django and its apps are loaded: keep those long-lived objects out of every future
    # full garbage collection, which a page of 10,000 parsed backups would otherwise trigger.
    gc.freeze()
