"""Connectivity of the tracking server, step by step, as a Spark driver sees it.

DNS → TCP → GET /health → GET /version → the REST API answering JSON. Plain sockets and
http.client with a short timeout per step: the MLflow client would retry for minutes before
saying anything. Inputs: tracking_uri, timeout, and optionally host_header (the Host the
server must accept), username/password and token (never echoed; sent as the MLflow client
sends them, see client_authorization), and TLS as the MLflow client takes it: ca_bundle
(MLFLOW_TRACKING_SERVER_CERT_PATH), insecure_tls (MLFLOW_TRACKING_INSECURE_TLS), client_cert
(MLFLOW_TRACKING_CLIENT_CERT_PATH, certificate and key in one PEM file).

A TLS failure is classified here (tls_diagnosis) because this file ships alone into probe
pods; mlflow_conformance/tls.py gives every other client the same codes through it.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import socket
import ssl
import threading
from typing import Any
from urllib.parse import unquote, urlparse

try:
    from . import probekit
except ImportError:  # run as a standalone script (here or inside a pod)
    import probekit  # type: ignore[no-redef]

Step = probekit.Step
VERSION_RE = re.compile(r"^\d+\.\d+\.\d+([.+-]?[0-9A-Za-z.+-]*)?$")
HEADERS_KEPT = ("content-type", "www-authenticate", "location", "server", "content-length")


def resolve(host: str, port: int, timeout: float) -> Step:
    # getaddrinfo has no timeout of its own: bound it with a thread.
    result: dict[str, Any] = {}

    def lookup() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            result["addresses"] = sorted({info[4][0] for info in infos})
        except socket.gaierror as exc:
            result["error"] = str(exc)

    with probekit.Timer() as timer:
        worker = threading.Thread(target=lookup, daemon=True)
        worker.start()
        worker.join(timeout)
    if worker.is_alive():
        return probekit.step("dns", "fail", "timeout", f"resolving {host!r} took over {timeout} s",
                             "check the pod's DNS (kube-dns reachable on port 53, egress policy)",
                             host=host, seconds=timer.seconds)
    if "error" in result:
        return probekit.step(
            "dns", "fail", "dns_unresolvable", f"{host!r} does not resolve: {result['error']}",
            f"use a name that resolves from the driver, e.g. <service>.<namespace>"
            f".svc.cluster.local instead of {host!r}", host=host, error=result["error"],
            seconds=timer.seconds)
    return probekit.ok("dns", f"{host} resolves to {', '.join(result['addresses'])}", host=host,
                       addresses=result["addresses"], seconds=timer.seconds)


def connect(host: str, port: int, timeout: float) -> Step:
    evidence: dict[str, Any] = {"host": host, "port": port}
    with probekit.Timer() as timer:
        try:
            with socket.create_connection((host, port), timeout=timeout) as sock:
                evidence["peer"] = sock.getpeername()[0]
            error = None
        except TimeoutError:
            error = "timeout"
        except ConnectionRefusedError:
            error = "refused"
        except OSError as exc:
            error = str(exc)
    evidence["seconds"] = timer.seconds
    if error is None:
        return probekit.ok("tcp", f"connected to {evidence['peer']}:{port}", **evidence)
    if error == "timeout":
        return probekit.step("tcp", "fail", "timeout", f"TCP connect to {host}:{port} got no "
                             f"answer in {timeout} s", "a firewall or NetworkPolicy drops the "
                             "traffic: allow the driver's namespace to reach the server",
                             **evidence)
    return probekit.step("tcp", "fail", "connection_refused",
                         f"TCP connect to {host}:{port} failed: {error}",
                         f"nothing listens on {host}:{port}: check the Service's port and that "
                         "the tracking server pod is running", error=error, **evidence)


# TLS failures → diagnosis codes, by what OpenSSL (through ssl, urllib3, requests or botocore)
# says; first match wins, so a verification failure naming the host beats the generic one.
# The JVM's (JSSE: S3A and Spark's own clients) phrasings sit beside OpenSSL's.
TLS_PATTERNS = (
    ("tls_hostname_mismatch", ("hostname mismatch", "ip address mismatch", "doesn't match",
                               "does not match", "no subject alternative")),
    ("tls_expired", ("certificate has expired", "certificate is not yet valid",
                     "certificateexpiredexception", "certificatenotyetvalidexception")),
    ("tls_client_cert_required", ("certificate required", "certificate_required",
                                  "peer did not return a certificate")),
    ("tls_untrusted", ("self-signed certificate", "self signed certificate",
                       "unable to get local issuer", "unable to verify the first certificate",
                       "unable to get issuer", "certificate_verify_failed",
                       "certificate verify failed", "pkix path building failed",
                       "unable to find valid certification path")),
    ("tls_handshake_failed", ("wrong_version_number", "wrong version number",
                              "record layer failure", "unexpected eof", "eof occurred in",
                              "http_request", "packet length too long", "alert", "handshake",
                              "[ssl", "sslerror", "ssl:", "plain http request",
                              "unrecognized ssl message", "sslexception")),
)
TLS_CODES = tuple(code for code, _ in TLS_PATTERNS)
# The 400 pages nginx (the usual ingress) answers instead of a TLS alert.
NGINX_TLS_PAGES = (("plain http request was sent to https port", "tls_handshake_failed"),
                   ("no required ssl certificate was sent", "tls_client_cert_required"),
                   ("the ssl certificate error", "tls_client_cert_required"))
# Where each client takes its TLS settings: named in the remedies.
TLS_SETTINGS = {
    "tracking": {"ca": "--tracking-ca-bundle PATH or MLFLOW_TRACKING_SERVER_CERT_PATH",
                 "insecure": "--tracking-insecure-tls or MLFLOW_TRACKING_INSECURE_TLS=true",
                 "cert": "--tracking-client-cert PATH or MLFLOW_TRACKING_CLIENT_CERT_PATH",
                 "scheme": "the tracking URI"},
    "s3": {"ca": "--s3-ca-bundle PATH or AWS_CA_BUNDLE", "insecure": "MLFLOW_S3_IGNORE_TLS=true",
           "cert": "a client certificate (boto3 has no setting for one: terminate mTLS before S3)",
           "scheme": "the S3 endpoint URL (MLFLOW_S3_ENDPOINT_URL)"},
    # S3A in the Spark JVM trusts the JVM's truststore, not a PEM bundle.
    "s3a": {"ca": "a JVM truststore holding the CA (-Djavax.net.ssl.trustStore=... in "
                  "spark.driver.extraJavaOptions and spark.executor.extraJavaOptions)",
            "insecure": "plain HTTP (fs.s3a.connection.ssl.enabled=false and an http:// "
                        "fs.s3a.endpoint), if the endpoint offers it",
            "cert": "a client certificate (S3A has no setting for one: terminate mTLS before "
                    "S3)",
            "scheme": "fs.s3a.endpoint"},
}


def tls_remedy(code: str, service: str = "tracking") -> str:
    named = TLS_SETTINGS[service]
    return {
        "tls_untrusted": f"the certificate is signed by a CA this client does not trust (a "
                         f"private CA or self-signed): give its CA bundle with {named['ca']} "
                         f"(jobs need the same), or skip verification with {named['insecure']}",
        "tls_hostname_mismatch": f"the certificate does not name the host of {named['scheme']}:"
                                 " use a host name the certificate lists (its SANs) or reissue "
                                 "the certificate with this host",
        "tls_expired": "the certificate is outside its validity period: renew it (cert-manager "
                       "Certificate / the ingress's TLS Secret), or fix this machine's clock",
        "tls_client_cert_required": f"the server demands a client certificate: give one with "
                                    f"{named['cert']}",
        "tls_handshake_failed": f"client and port do not speak the same protocol: use https:// "
                                f"in {named['scheme']} for a TLS port, http:// for a plain one "
                                "(or the port where the ingress terminates TLS)",
    }[code]


def tls_diagnosis(error: str) -> str | None:
    """The TLS code of an error's text, or None when it is not a TLS failure."""
    lowered = error.lower()
    for code, needles in TLS_PATTERNS:
        if any(needle in lowered for needle in needles):
            return code
    return None


def tls_code(error: str) -> str:
    """The TLS code of a failure already known to be one (an SSL exception, a JVM's
    javax.net.ssl error): its pattern's, else tls_handshake_failed."""
    return tls_diagnosis(error) or "tls_handshake_failed"


def tls_context(target: dict[str, Any]) -> ssl.SSLContext:
    """The context the MLflow client's settings make: the CA bundle alone when given (as
    requests' verify=PATH), no verification when insecure, the client certificate if any."""
    context = ssl.create_default_context(cafile=target.get("ca_bundle") or None)
    if target.get("insecure_tls"):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if target.get("client_cert"):
        context.load_cert_chain(target["client_cert"])
    return context


def speaks_tls(host: str, port: int, timeout: float) -> bool:
    """Whether the port completes a TLS handshake (nothing verified): told apart from a
    plain HTTP port that dropped the connection."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock, \
                context.wrap_socket(sock, server_hostname=host):
            return True
    except (OSError, ValueError):
        return False


# A connection dropped without an answer (what a TLS port does to a plain HTTP request).
DROPPED = ("RemoteDisconnected", "Connection reset by peer", "Connection aborted",
           "BadStatusLine", "ConnectionResetError", "Connection was closed before")
_URL = re.compile(r"https?://[^\s'\"<>)]+")


def exception_chain(exc: BaseException) -> list[BaseException]:
    """The exception and what it wraps (cause, context, exceptions among its args, urllib3's
    reason), each once: clients bury the ssl error several levels down."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo and len(seen) < 20:
        current = todo.pop()
        if any(current is each for each in seen):
            continue
        seen.append(current)
        todo += [e for e in (current.__cause__, current.__context__) if e is not None]
        todo += [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]
        reason = getattr(current, "reason", None)  # urllib3's MaxRetryError
        if isinstance(reason, BaseException):
            todo.append(reason)
    return seen


def classify_exception(exc: BaseException, url: str | None = None, timeout: float = 3.0
                       ) -> tuple[str, str] | None:
    """(TLS code, error text) of a failure raised by ssl, http.client, requests, the MLflow
    client (MlflowException quoting requests' error), boto3 or a JVM (its text), or None when
    it is not a TLS failure: the one classification every client of the harness goes through.

    A connection dropped on an http:// URL (``url``, else the first URL the error names) is
    checked as the probe checks it: when the port completes a TLS handshake, it is
    tls_handshake_failed.
    """
    chain = exception_chain(exc)
    tls_like = [e for e in chain if isinstance(e, ssl.SSLError)
                or "ssl" in type(e).__name__.lower()]
    text = " ".join(f"{e} {getattr(e, 'verify_message', '') or ''}" for e in tls_like)
    if not tls_like:
        # The MLflow client wraps requests' error into MlflowException text only.
        text = " ".join(str(e) for e in chain)
        if "SSLError" not in text and "SSL:" not in text:
            return _plain_to_tls(text, url, timeout)
    return tls_code(text), text.strip()[:500]


def _plain_to_tls(text: str, url: str | None, timeout: float) -> tuple[str, str] | None:
    if not any(sign in text for sign in DROPPED):
        return None
    named = url or next(iter(_URL.findall(text)), None)
    parsed = urlparse(named or "")
    if parsed.scheme != "http" or not parsed.hostname:
        return None
    if not speaks_tls(parsed.hostname, parsed.port or 80, timeout):
        return None
    return "tls_handshake_failed", (text.strip()[:400] + " (the port completes a TLS "
                                    "handshake: it expects https://)")


def client_authorization(tracking_uri: str, username: str | None = None,
                         password: str | None = None, token: str | None = None) -> str | None:
    """The Authorization header the MLflow client sends, so that `auth_required` means the
    credentials are missing or wrong, not that the harness forgot them (the probe and the
    REST client both send this). MLflow sends basic auth when MLFLOW_TRACKING_USERNAME and
    _PASSWORD are both set, else a bearer token; requests, under it, then replaces the header
    with credentials written into the URI."""
    parsed = urlparse(tracking_uri)
    if parsed.username is not None:
        pair = f"{unquote(parsed.username)}:{unquote(parsed.password or '')}"
    elif username and password:
        pair = f"{username}:{password}"
    elif token:
        return "Bearer " + token
    else:
        return None
    return "Basic " + base64.b64encode(pair.encode()).decode()


def _tls_settings(target: dict[str, Any]) -> dict[str, Any]:
    """What the client was told (paths and a flag: evidence, never a key)."""
    return {"ca_bundle": target.get("ca_bundle"), "insecure_tls": bool(target.get("insecure_tls")),
            "client_cert": target.get("client_cert")}


def request(target: dict[str, Any], method: str, path: str, body: bytes | None = None
            ) -> dict[str, Any]:
    """One HTTP exchange, no redirects followed, bounded by the timeout."""
    parsed = urlparse(target["tracking_uri"])
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    timeout = float(target["timeout"])
    if parsed.scheme == "https":
        try:
            context = tls_context(target)
        except (OSError, ValueError) as exc:  # an unreadable bundle or certificate file
            return {"error": f"could not load the CA bundle or client certificate: "
                             f"{type(exc).__name__}: {exc}", "tls": "tls_handshake_failed",
                    "tls_remedy": "give PEM files: the CA bundle's certificates, the client "
                                  "certificate followed by its unencrypted key",
                    "seconds": 0.0, "request": f"{method} {path}",
                    "tls_settings": _tls_settings(target)}
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            parsed.hostname or "", port, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection(parsed.hostname or "", port, timeout=timeout)
    headers = {"Accept": "application/json", "User-Agent": "mlflow-conformance-probe"}
    if target.get("host_header"):
        headers["Host"] = target["host_header"]
    authorization = client_authorization(target["tracking_uri"], target.get("username"),
                                         target.get("password"), target.get("token"))
    if authorization:
        headers["Authorization"] = authorization
    if body is not None:
        headers["Content-Type"] = "application/json"
    base = parsed.path.rstrip("/")
    with probekit.Timer() as timer:
        try:
            conn.request(method, base + path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read(65536)
            answer: dict[str, Any] = {
                "status": response.status,
                "headers": {k: v for k, v in ((h.lower(), v) for h, v in response.getheaders())
                            if k in HEADERS_KEPT},
                "body": content.decode("utf-8", "replace"),
            }
        except TimeoutError:
            answer = {"error": "timeout"}
        except ssl.SSLError as exc:  # before OSError: SSLError is one
            detail = getattr(exc, "verify_message", None)
            answer = {"error": f"{type(exc).__name__}: {exc}"}
            answer["tls"] = tls_code(f"{exc} {detail or ''}")
        except (OSError, http.client.HTTPException) as exc:
            answer = {"error": f"{type(exc).__name__}: {exc}"}
            # A TLS port drops a plain HTTP request without a word: say so, not "refused".
            if parsed.scheme == "http" and speaks_tls(parsed.hostname or "", port, timeout):
                answer["tls"] = "tls_handshake_failed"
                answer["error"] += " (the port completes a TLS handshake: it expects https://)"
        finally:
            conn.close()
    if answer.get("status") == 400:  # nginx answers some TLS failures with a page
        for needle, code in NGINX_TLS_PAGES:
            if needle in answer["body"].lower():
                answer["tls"] = code
    if "tls" in answer and parsed.scheme == "https":
        answer["tls_settings"] = _tls_settings(target)
    answer["seconds"] = timer.seconds
    answer["request"] = f"{method} {path}"
    return answer


def _evidence(answer: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {k: answer[k] for k in ("request", "status", "headers", "seconds",
                                                   "error", "tls_settings") if k in answer}
    if "body" in answer:
        kept["body_start"] = answer["body"][:200]
    return kept


def transport_code(answer: dict[str, Any]) -> str | None:
    """How an exchange failed below HTTP (a TLS code, timeout, connection_refused), or None
    when it got an answer: the one reading of request()'s result, for every caller."""
    if answer.get("tls"):
        return str(answer["tls"])
    if "error" in answer:
        return "timeout" if answer["error"] == "timeout" else "connection_refused"
    return None


def _transport_failure(name: str, answer: dict[str, Any], timeout: float) -> Step | None:
    code = transport_code(answer)
    if code in TLS_CODES:
        what = answer.get("error") or f"answered {answer.get('status')} {answer['body'][:80]!r}"
        return probekit.step(name, "fail", code, f"{answer['request']}: TLS failed ({code}): "
                             f"{what}", answer.get("tls_remedy") or tls_remedy(code),
                             **_evidence(answer))
    if code == "timeout":
        return probekit.step(name, "fail", "timeout", f"{answer['request']} got no answer in "
                             f"{timeout} s (the port accepts connections but nothing responds)",
                             "the server is hung or overloaded: check the tracking server pod's "
                             "logs, CPU and database connections", **_evidence(answer))
    if code == "connection_refused":
        return probekit.step(name, "fail", "connection_refused",
                             f"{answer['request']} failed: {answer['error']}",
                             "the connection was dropped: check the server and any proxy in "
                             "front of it", **_evidence(answer))
    return None


def _auth_failure(name: str, answer: dict[str, Any]) -> Step | None:
    status, body = answer["status"], answer["body"]
    if status == 401:
        return probekit.step(name, "fail", "auth_required", f"{answer['request']} answered 401 "
                             "(authentication required)", "give the harness and the jobs "
                             "credentials: MLFLOW_TRACKING_USERNAME/PASSWORD or "
                             "MLFLOW_TRACKING_TOKEN", **_evidence(answer))
    if status == 403 and "Invalid Host header" in body:
        return probekit.step(name, "fail", "host_rejected", f"{answer['request']} answered 403: "
                             "the server rejects the Host header the client sends",
                             "add the exact host[:port] the clients use to the server's "
                             "--allowed-hosts / MLFLOW_SERVER_ALLOWED_HOSTS", **_evidence(answer))
    if status == 403:
        return probekit.step(name, "fail", "permission_denied", f"{answer['request']} answered "
                             "403 (permission denied)", "grant the identity the jobs use read "
                             "permission on experiments", **_evidence(answer))
    return None


def _looks_html(answer: dict[str, Any]) -> bool:
    content_type = answer["headers"].get("content-type", "")
    return "html" in content_type or answer["body"].lstrip()[:15].lower().startswith(
        ("<!doctype", "<html"))


def health(target: dict[str, Any]) -> Step:
    answer = request(target, "GET", "/health")
    failure = _transport_failure("health", answer, target["timeout"]) or _auth_failure(
        "health", answer)
    if failure:
        return failure
    if answer["status"] == 200 and answer["body"].strip() == "OK":
        return probekit.ok("health", "GET /health answered OK", **_evidence(answer))
    return probekit.step("health", "fail", "http_error", f"GET /health answered "
                         f"{answer['status']} {answer['body'][:60]!r}, not 200 OK",
                         "the URI does not reach a healthy MLflow server: check the Service "
                         "target and the server's logs", **_evidence(answer))


def version(target: dict[str, Any]) -> Step:
    answer = request(target, "GET", "/version")
    failure = _transport_failure("version", answer, target["timeout"]) or _auth_failure(
        "version", answer)
    if failure:
        return failure
    text = answer["body"].strip()
    if answer["status"] != 200:
        return probekit.step("version", "fail", "http_error", f"GET /version answered "
                             f"{answer['status']}", "the server predates MLflow 2.1 or a proxy "
                             "blocks /version: upgrade or route it", **_evidence(answer))
    if not VERSION_RE.match(text):
        return probekit.step("version", "fail", "not_mlflow_version", f"GET /version answered "
                             f"{text[:60]!r}, which is not an MLflow version",
                             "the URI reaches something other than an MLflow server (a gateway "
                             "page?): point it at the tracking Service", **_evidence(answer))
    return probekit.ok("version", f"server reports MLflow {text}", version=text,
                       **_evidence(answer))


def api(target: dict[str, Any]) -> Step:
    answer = request(target, "POST", "/api/2.0/mlflow/experiments/search",
                     json.dumps({"max_results": 1}).encode())
    failure = _transport_failure("api", answer, target["timeout"]) or _auth_failure("api", answer)
    if failure:
        return failure
    status = answer["status"]
    if 300 <= status < 400 or _looks_html(answer):
        where = answer["headers"].get("location", "")
        return probekit.step("api", "fail", "not_json", f"{answer['request']} answered {status} "
                             + (f"redirecting to {where}" if where else "with an HTML page")
                             + " instead of JSON (a gateway login page?)",
                             "let API paths (/api/...) through the gateway with token or basic "
                             "auth instead of a browser login", **_evidence(answer))
    if status != 200:
        return probekit.step("api", "fail", "http_error", f"{answer['request']} answered "
                             f"{status}", "check the tracking server's log for this request",
                             **_evidence(answer))
    try:
        data = json.loads(answer["body"])
    except ValueError:
        return probekit.step("api", "fail", "not_json", f"{answer['request']} answered 200 but "
                             "the body is not JSON", "check for a proxy rewriting API answers",
                             **_evidence(answer))
    count = len(data.get("experiments", [])) if isinstance(data, dict) else None
    return probekit.ok("api", "the REST API answers JSON", experiments_seen=count,
                       **_evidence(answer))


# The steps, in order; each is a finding, as catalog checks name it (probes.connectivity:<step>).
FINDINGS = ("dns", "tcp", "health", "version", "api")


def run(inputs: dict[str, Any]) -> dict[str, Any]:
    parsed = urlparse(inputs["tracking_uri"])
    host = parsed.hostname or ""
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    timeout = float(inputs.get("timeout", 3.0))
    target = {**inputs, "timeout": timeout}
    steps: list[Step] = []
    failed: Step | None = None
    for name, check in (("dns", lambda: resolve(host, port, timeout)),
                        ("tcp", lambda: connect(host, port, timeout)),
                        ("health", lambda: health(target)),
                        ("version", lambda: version(target)),
                        ("api", lambda: api(target))):
        if failed is not None:
            steps.append(probekit.blocked(name, failed))
            continue
        result = check()
        steps.append(result)
        # Transport, TLS failures and timeouts block the rest; an HTTP answer does not.
        if result["outcome"] == "fail" and (name in ("dns", "tcp") or result["code"] == "timeout"
                                            or result["code"] in TLS_CODES):
            failed = result
    return {"probe": "connectivity", "tracking_uri": inputs["tracking_uri"], "steps": steps}


if __name__ == "__main__":
    probekit.main(run)
