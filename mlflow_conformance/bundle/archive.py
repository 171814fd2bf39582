"""Pack redacted files into bundle.tar.gz with manifest.json and redaction.json; read back.

Every file passes through the run's Redactor before it is packed; the packing goes to a
temporary file in the destination folder, renamed at the end, so a half-written bundle is
never seen under the bundle's name. Reading is bounded: a bundle is an attachment from
someone else, perhaps a hostile or broken one.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from ..redact import Redactor

BUNDLE = "bundle.tar.gz"
MANIFEST, REDACTION, RESULTS = "manifest.json", "redaction.json", "results.json"
GENERATED = (MANIFEST, REDACTION)  # written by the packing itself, never collected
# Reading someone's bundle: more than this in one member or in all is not a bundle of ours.
READ_MEMBER_BYTES = 64 * 1024 * 1024
READ_TOTAL_BYTES = 256 * 1024 * 1024
READ_MEMBERS = 10_000


class BundleError(ValueError):
    """Not a bundle this harness can read (one line, no traceback)."""


@dataclass(frozen=True)
class BundleFile:
    """One file for the bundle: its path inside, where it came from, its bytes."""

    path: str
    source: str
    content: bytes
    truncated: bool = False
    original_size: int | None = None  # before tailing, when truncated


@dataclass(frozen=True)
class Omitted:
    """A file the bundle does not hold, and why (the manifest says so)."""

    path: str
    source: str
    reason: str


@dataclass
class Packed:
    """What pack() wrote: the manifest and the redaction report, as stored inside."""

    path: Path
    manifest: dict[str, Any]
    redaction: list[dict[str, Any]] = field(default_factory=list)


def is_json_path(path: str) -> bool:
    return path.endswith(".json")


def redact_file(item: BundleFile, redactor: Redactor) -> tuple[bytes, dict[str, int]]:
    """The file's bytes redacted, and the replacements per rule. JSON stays JSON (the key
    rules see its keys); everything else is free text."""
    text = item.content.decode("utf-8", errors="replace")
    if is_json_path(item.path):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if data is not None:
            clean, counts = redactor.counted(
                lambda: redactor.scrub(data, strings=redactor.document))
            if not counts:  # unchanged: the very bytes (results.json as in the report folder)
                return item.content, counts
            return json.dumps(clean, indent=1).encode(), counts
    redacted, counts = redactor.counted(lambda: redactor.document(text))
    return redacted.encode(), counts


def _entry(item: BundleFile, content: bytes) -> dict[str, Any]:
    entry: dict[str, Any] = {"path": item.path, "source": item.source, "size": len(content),
                             "sha256": hashlib.sha256(content).hexdigest(),
                             "truncated": item.truncated}
    if item.truncated and item.original_size is not None:
        entry["original_size"] = item.original_size
    return entry


def _add(tar: tarfile.TarFile, path: str, content: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(path)
    info.size, info.mtime, info.mode = len(content), int(mtime), 0o644
    tar.addfile(info, io.BytesIO(content))


def _json(redactor: Redactor, data: Any) -> bytes:
    return json.dumps(redactor.scrub(data, strings=redactor.document), indent=1).encode()


def pack(destination: Path, files: Iterable[BundleFile], omitted: Iterable[Omitted],
         redactor: Redactor, max_bytes: int, notes: Mapping[str, Any] | None = None) -> Packed:
    """Redact every file, then write the bundle (manifest and redaction report inside).

    Files past ``max_bytes`` of redacted content in all are left out, named in the manifest.
    """
    left_out = list(omitted)
    packed: list[tuple[BundleFile, bytes]] = []
    redaction: list[dict[str, Any]] = []
    total = 0
    for given in files:
        # The path is bytes of the bundle too (a tar header): redacted like the content.
        path, path_counts = redactor.counted(lambda: redactor.document(given.path))  # noqa: B023
        item = replace(given, path=path)
        if path in GENERATED or path in {done.path for done, _ in packed} or not _is_inside(path):
            left_out.append(Omitted(path, item.source, "a path the bundle cannot hold (its own "
                                    "manifest or redaction report, a duplicate, or outside it)"))
            continue
        content, counts = redact_file(item, redactor)
        counts = dict(Counter(counts) + Counter(path_counts))
        if total + len(content) > max_bytes:
            left_out.append(Omitted(item.path, item.source,
                                    f"the bundle's size bound ({max_bytes} bytes) was reached"))
            continue
        total += len(content)
        packed.append((item, content))
        redaction += [{"file": item.path, "rule": rule, "count": n}
                      for rule, n in sorted(counts.items())]
    now = time.time()
    # Our own vocabulary (paths, rules, counts, reasons) goes through the redactor as well:
    # a path or a reason may quote what a source was called.
    redaction_bytes = _json(redactor, redaction)
    manifest = {
        "format": 1, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        **(notes or {}),
        "files": [_entry(item, content) for item, content in packed]
        + [_entry(BundleFile(REDACTION, "the redaction of every file above", b""),
                  redaction_bytes)],
        "omitted": [{"path": o.path, "source": o.source, "reason": o.reason} for o in left_out],
    }
    manifest = redactor.scrub(manifest, strings=redactor.document)
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".tmp",
                                        dir=destination.parent)
    try:
        with os.fdopen(handle, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            for item, content in packed:
                _add(tar, item.path, content, now)
            _add(tar, REDACTION, redaction_bytes, now)
            _add(tar, MANIFEST, _json(redactor, manifest), now)
        os.chmod(tmp_name, 0o644)  # as the reports beside it (mkstemp makes it 0600)
        os.replace(tmp_name, destination)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return Packed(destination, manifest, redaction)


def is_bundle(path: str | Path) -> bool:
    """A gzip file (the magic bytes): what a bundle is, and a results.json never is."""
    try:
        with open(path, "rb") as handle:
            return handle.read(2) == b"\x1f\x8b"
    except OSError:
        return False


def _is_inside(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not name.startswith("/") and ".." not in parts


def _safe_name(name: str) -> str:
    if not _is_inside(name):
        raise BundleError(f"member {name!r} is not a relative path inside the bundle")
    return str(PurePosixPath(*PurePosixPath(name).parts))


def read_members(path: str | Path) -> dict[str, bytes]:
    """Every regular file of a bundle by its path (links and folders are skipped), bounded."""
    found: dict[str, bytes] = {}
    total = 0
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            for count, member in enumerate(tar):
                if count >= READ_MEMBERS:
                    raise BundleError(f"{path}: more than {READ_MEMBERS} members")
                if not member.isfile():
                    continue
                if member.size > READ_MEMBER_BYTES:
                    raise BundleError(f"{path}: member {member.name!r} is larger than "
                                      f"{READ_MEMBER_BYTES} bytes")
                total += member.size
                if total > READ_TOTAL_BYTES:
                    raise BundleError(f"{path}: more than {READ_TOTAL_BYTES} bytes unpacked")
                extracted = tar.extractfile(member)
                if extracted is not None:
                    found[_safe_name(member.name)] = extracted.read()
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise BundleError(f"{path}: not a readable bundle (tar.gz): {exc}") from None
    return found


def results_text(path: str | Path) -> str:
    """The results.json inside a bundle."""
    members = read_members(path)
    if RESULTS not in members:
        raise BundleError(f"{path}: the bundle holds no {RESULTS}")
    return members[RESULTS].decode("utf-8", errors="replace")
