"""An ingress controller double: routes HTTP by the cluster's Ingress objects, read through
the kubernetes client, to the Endpoints of the backend Service — with ingress-nginx's
external authentication: an Ingress annotated `nginx.ingress.kubernetes.io/auth-url` lets a
request through only when the auth service says 2xx for its headers (here a function the test
gives, standing in for the platform's auth service), and otherwise answers 401, or redirects
to `auth-signin` when that annotation is set (a login page).

Not emulated: TLS termination, path rewriting, regex paths, default backends, load balancing
(the first ready endpoint serves).
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

AUTH_URL = "nginx.ingress.kubernetes.io/auth-url"
AUTH_SIGNIN = "nginx.ingress.kubernetes.io/auth-signin"
Authorizer = Callable[[Mapping[str, str]], bool]


class IngressDouble:
    def __init__(self, kubeconfig: Path, authorize: Authorizer) -> None:
        from kubernetes import client, config

        api = config.new_client_from_config(str(kubeconfig))
        self.networking = client.NetworkingV1Api(api)
        self.core = client.CoreV1Api(api)
        self.authorize = authorize
        self.server: ThreadingHTTPServer | None = None
        self.url = ""

    def start(self) -> IngressDouble:
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def do_GET(self) -> None:
                double.serve(self)

            do_POST = do_GET

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def __enter__(self) -> IngressDouble:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _dicts(self, obj: Any) -> Any:
        return self.core.api_client.sanitize_for_serialization(obj)

    def _route(self, host: str, path: str) -> tuple[dict[str, str], str, str, int] | None:
        for ingress in self._dicts(self.networking.list_ingress_for_all_namespaces())["items"]:
            meta = ingress["metadata"]
            for rule in ingress["spec"].get("rules") or []:
                if rule.get("host") not in (None, host):
                    continue
                for candidate in rule["http"]["paths"]:
                    if path.startswith(candidate.get("path") or "/"):
                        service = candidate["backend"]["service"]
                        return (meta.get("annotations") or {}, meta["namespace"],
                                service["name"], int(service["port"]["number"]))
        return None

    def _backend(self, namespace: str, service: str, port: int) -> tuple[str, int] | None:
        """The first ready endpoint of the Service port, as ingress-nginx reads Endpoints."""
        spec = self._dicts(self.core.read_namespaced_service(service, namespace))["spec"]
        name = next((p.get("name") for p in spec["ports"] if p["port"] == port), None)
        endpoints = self._dicts(self.core.read_namespaced_endpoints(service, namespace))
        for subset in endpoints.get("subsets") or []:
            ports = [p["port"] for p in subset.get("ports") or [] if p.get("name") == name]
            for address in subset.get("addresses") or []:
                if ports:
                    return address["ip"], int(ports[0])
        return None

    def serve(self, request: BaseHTTPRequestHandler) -> None:
        host = (request.headers.get("Host") or "").split(":")[0]
        found = self._route(host, request.path)
        if found is None:
            return self._answer(request, 404, b"default backend - 404")
        annotations, namespace, service, port = found
        if AUTH_URL in annotations and not self.authorize(dict(request.headers)):
            if AUTH_SIGNIN in annotations:
                return self._answer(request, 302, b"", {"Location": annotations[AUTH_SIGNIN]})
            return self._answer(request, 401, b"<html>401 Authorization Required</html>",
                                {"Content-Type": "text/html"})
        backend = self._backend(namespace, service, port)
        if backend is None:
            return self._answer(request, 503, b"503 Service Temporarily Unavailable")
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection(*backend, timeout=10)
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        headers["Host"] = f"{service}.{namespace}.svc.cluster.local:{port}"
        upstream.request(request.command, request.path, body=body, headers=headers)
        answer = upstream.getresponse()
        content = answer.read()
        self._answer(request, answer.status, content,
                     {k: v for k, v in answer.getheaders()
                      if k.lower() in ("content-type", "location")})
        upstream.close()
        return None

    def _answer(self, request: BaseHTTPRequestHandler, status: int, body: bytes,
                headers: Mapping[str, str] | None = None) -> None:
        request.send_response(status)
        for key, value in (headers or {}).items():
            request.send_header(key, value)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)
