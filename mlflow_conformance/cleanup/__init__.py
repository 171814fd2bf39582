"""The cleanup lifecycle: the ledger of what a run created, its removal (also after a
failure or Ctrl-C), exact purges from the backend store, and `sweep` for what a dead run left."""
