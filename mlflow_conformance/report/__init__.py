"""Results model and the outputs rendered from it (results.json, report.html, junit.xml)."""
