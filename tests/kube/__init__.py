"""Doubles of a Kubernetes cluster for the harness's own tests: an API server that speaks the
real REST API over HTTPS (every body validated against the official schemas) and a node that
talks to any API server through the kubernetes client, as a kubelet does, and runs the pods."""
