"""Probes: standalone scripts that observe the deployment as a Spark driver would.

A probe needs only the standard library plus what the platform's Spark image has (mlflow,
boto3, pyspark); it reads its inputs as JSON on stdin and prints its evidence as JSON on
stdout, so the same file runs as a subprocess here and inside a probe pod on a cluster.
"""
