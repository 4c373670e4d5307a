"""RemoteMonitor: POST each epoch's logs to a server."""

import json
import urllib.error
import urllib.parse
import urllib.request
import warnings

import numpy as np

from numkeras.callbacks import Callback


class RemoteMonitor(Callback):
    """Sends the epoch logs to ``root + path`` with an HTTP POST at the end of every epoch.

    The payload is ``{'epoch': epoch, **logs}``. By default it is sent as a form
    with one field, ``field``, holding the JSON text; with ``send_as_json=True`` the
    body is the JSON itself (``Content-Type: application/json``). Uses the standard
    library (no ``requests`` needed). An unreachable server gives a warning, not an
    error.

    Arguments:
        root: the server's root URL.
        path: the path under ``root`` the events are sent to.
        field: the form field holding the JSON data.
        headers: extra HTTP headers (a dict).
        send_as_json: send the body as ``application/json``.
        timeout: seconds to wait for the server.

    Example:
        >>> monitor = RemoteMonitor(root='http://localhost:9000', send_as_json=True)
    """

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/", field="data", headers=None,
                 send_as_json=False, timeout=10.0):
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = dict(headers or {})
        self.send_as_json = send_as_json
        self.timeout = timeout

    def on_epoch_end(self, epoch, logs=None):
        send = {"epoch": epoch}
        for key, value in (logs or {}).items():
            send[key] = value.item() if isinstance(value, (np.ndarray, np.generic)) else value
        headers = dict(self.headers)
        if self.send_as_json:
            body = json.dumps(send).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode("utf-8")
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        request = urllib.request.Request(self.root + self.path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except (urllib.error.URLError, OSError, ValueError) as error:
            warnings.warn(f"Warning: could not reach RemoteMonitor root server at {self.root} ({error}).",
                          RuntimeWarning, stacklevel=2)
