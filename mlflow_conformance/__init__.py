"""Engine of the MLflow-on-Ilum conformance harness.

Kept free of heavy imports: probes and the CLI import pieces of it on their own, and the
pytest glue in ``fixtures/`` imports only what a session needs.
"""

__version__ = "0.1.0"
