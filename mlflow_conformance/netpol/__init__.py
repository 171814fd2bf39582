"""Expected reachability under Kubernetes NetworkPolicies, from objects alone (no cluster).

model and policy hold the API objects, matching and evaluate apply the documented semantics,
table builds the expected truth table, analysis turns it into findings codes, loading reads
manifests, explain and command answer one question from files.
"""
