"""RemoteMonitor: POSTs each epoch's logs to a local http.server, as a form field or as JSON."""

import http.server
import json
import threading
import urllib.parse

import pytest

from numkeras.callbacks import RemoteMonitor


@pytest.fixture
def server():
    """An HTTP server on 127.0.0.1 recording every POST; stopped after the test."""
    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"path": self.path, "headers": dict(self.headers), "body": body.decode()})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.received = received
    httpd.root = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def test_form_post_with_the_json_in_a_field(model, data, server):
    history = model.fit(*data, epochs=2, verbose=0, callbacks=[RemoteMonitor(root=server.root)])
    assert [r["path"] for r in server.received] == ["/publish/epoch/end/"] * 2
    request = server.received[1]
    assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    payload = json.loads(urllib.parse.parse_qs(request["body"])["data"][0])
    assert payload == {"epoch": 1, "loss": history.history["loss"][1], "mae": history.history["mae"][1]}


def test_json_body_custom_path_field_and_headers(model, data, server):
    monitor = RemoteMonitor(root=server.root, path="/events", headers={"X-Run": "abc"}, send_as_json=True)
    model.fit(*data, epochs=1, verbose=0, callbacks=[monitor])
    (request,) = server.received
    assert request["path"] == "/events" and request["headers"]["X-Run"] == "abc"
    assert request["headers"]["Content-Type"] == "application/json"
    assert json.loads(request["body"])["epoch"] == 0

    server.received.clear()
    model.fit(*data, epochs=1, verbose=0, callbacks=[RemoteMonitor(root=server.root, field="payload")])
    assert "loss" in json.loads(urllib.parse.parse_qs(server.received[0]["body"])["payload"][0])


def test_unreachable_server_warns_and_training_goes_on(model, data, server):
    root = server.root
    server.shutdown()
    server.server_close()
    with pytest.warns(RuntimeWarning, match="could not reach RemoteMonitor root server"):
        history = model.fit(*data, epochs=2, verbose=0, callbacks=[RemoteMonitor(root=root, timeout=2)])
    assert len(history.epoch) == 2
