"""The transports the checks use: the bounded MLflow client, the REST client, the S3 client."""
