"""The cluster target: discovery of the platform's objects, probe pods that run the probes
where Spark runs, the RBAC preflight and the dry run — all through the kubernetes client."""
