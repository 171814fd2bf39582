"""The diagnostics bundle: collect what a run saw, redact it, pack it, re-analyse it offline.

``collect`` gathers files through collectors (one per source), ``archive`` redacts and packs
them with a manifest and a redaction report and reads bundles back, ``commands`` holds
``redact`` and ``analyze``.
"""
