"""The pod sandbox of the node double (its "pause container"), run as a script by
`unshare --mount --uts --propagation private`: it sets the pod's hostname, makes the pod's
mounts inside the new mount namespace, prints `ready` and then only holds the namespaces so
the pod's containers can join them with nsenter.

A mount point missing on the host is never created on the host: the nearest existing ancestor
is shadowed by a tmpfs (inside the namespace only) into which each of the ancestor's entries is
bind-mounted back, so the ancestor's content stays visible and the missing directories are
made in the tmpfs. The same shadow, with search permission added, opens folders a non-root
container must pass to reach its image's files; readOnlyRootFilesystem remounts the root (and
the shadows) read-only. Stdlib only: it runs as `python -I node_sandbox.py PLAN`.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import sys

MS_RDONLY, MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC = 1, 32, 4096, 8192, 16384
_libc = ctypes.CDLL(None, use_errno=True)


def _mount(source: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    def enc(value: str | None) -> bytes | None:
        return None if value is None else value.encode()

    if _libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {source} on {target}: {os.strerror(errno)}")


class Shadows:
    """Makes missing mount points inside tmpfs shadows of their nearest existing ancestor."""

    def __init__(self, stash: str) -> None:
        # Through a descriptor: a pod's own mount (say an emptyDir at /tmp) may hide its path.
        self.stash = os.open(stash, os.O_RDONLY | os.O_DIRECTORY)
        self.ours: set[str] = set()  # directories that live in one of our tmpfs shadows
        self.made: list[str] = []    # the shadows' own mounts: what a read-only root covers

    def ensure(self, target: str, is_dir: bool) -> None:
        target = os.path.realpath(target)
        if os.path.lexists(target):
            return
        ancestor = os.path.dirname(target)
        while not os.path.exists(ancestor):
            ancestor = os.path.dirname(ancestor)
        if ancestor == "/" and ancestor not in self.ours:
            self._shadow_root()
        elif ancestor not in self.ours:
            self._shadow(ancestor)
        missing = target if is_dir else os.path.dirname(target)
        os.makedirs(missing, exist_ok=True)
        path = missing
        while path != ancestor:
            self.ours.add(path)
            path = os.path.dirname(path)
        if not is_dir:
            open(target, "a").close()

    def _stashed(self) -> str:
        """A new directory in the stash, as a path that no mount can hide."""
        name = str(len(os.listdir(self.stash)))
        os.mkdir(name, dir_fd=self.stash)
        return f"/proc/self/fd/{self.stash}/{name}"

    def _keep(self, path: str) -> int:
        """A recursive bind of `path` in the stash, opened: the stash itself may end up
        hidden under the shadow (when the pod's folder lives under the ancestor)."""
        keep = self._stashed()
        _mount(path, keep, None, MS_BIND | MS_REC)
        return os.open(keep, os.O_RDONLY | os.O_DIRECTORY)

    def open_up(self, folder: str) -> None:
        """Let every user through `folder` (an image's files are, whoever the container runs
        as): a shadow whose own mode adds search permission, its entries keeping theirs."""
        self._shadow(folder, extra_mode=0o011)

    def _shadow(self, ancestor: str, extra_mode: int = 0) -> None:
        fd = self._keep(ancestor)
        mode = (os.stat(ancestor).st_mode & 0o7777) | extra_mode
        _mount("tmpfs", ancestor, "tmpfs", 0, f"mode={mode:o}")
        self.made += [ancestor, *_bind_entries(fd, ancestor)]
        self.ours.add(ancestor)

    def _shadow_root(self) -> None:
        """The same over /, built aside and moved onto /: processes joining the namespace
        (setns looks down the mounts stacked on its root) and this one (chroot) see it."""
        fd = self._keep("/")
        new_root = self._stashed()
        _mount("tmpfs", new_root, "tmpfs", 0, "mode=755")
        entries = _bind_entries(fd, new_root)
        os.chdir(new_root)
        _mount(".", "/", None, MS_MOVE)
        os.chroot(".")
        os.chdir("/")
        self.made += [os.path.join("/", os.path.basename(e)) for e in entries]
        self.ours.add("/")


def _bind_entries(fd: int, folder: str) -> list[str]:
    """Each entry of the directory open as `fd`, made again in `folder` and bound there;
    the bind mounts made."""
    bound = []
    for entry in os.listdir(fd):
        source, target = f"/proc/self/fd/{fd}/{entry}", os.path.join(folder, entry)
        if os.path.islink(source):
            os.symlink(os.readlink(source), target)
            continue
        if os.path.isdir(source):
            os.mkdir(target)
        else:
            open(target, "a").close()
        _mount(source, target, None, MS_BIND | MS_REC)
        bound.append(target)
    return bound


def _read_only_root(also: list[str]) -> None:
    """readOnlyRootFilesystem: the root and the given mounts of the root's content (the
    shadows', the working directory) read-only; the pod's own mounts (volumes, /etc/hosts)
    are mounts of their own and keep their mode."""
    for target in ["/", *also]:
        _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY)


def main(plan_file: str) -> None:
    with open(plan_file) as f:
        plan = json.load(f)
    # Never touch the host's mounts: refuse to run outside a new mount namespace.
    if os.readlink("/proc/self/ns/mnt") == plan["host_mnt_ns"]:
        raise SystemExit("error: not in a private mount namespace")
    socket.sethostname(plan["hostname"])
    shadows = Shadows(plan["stash"])
    # The working directory a mount of its own, held open: the pod's mounts may hide its
    # path, and a read-only root must cover it too.
    _mount(plan["workdir"], plan["workdir"], None, MS_BIND)
    workdir = os.open(plan["workdir"], os.O_RDONLY | os.O_DIRECTORY)
    for folder in plan["open_up"]:
        shadows.open_up(folder)
    mounts = sorted(plan["mounts"], key=lambda m: m["target"].count("/"))
    # Every source opened first: an earlier mount (an emptyDir at /tmp) may hide its path.
    sources = [(os.open(m["source"], os.O_PATH), os.path.isdir(m["source"])) for m in mounts]
    images = [(path, os.open(path, os.O_PATH)) for path in plan.get("image", [])]
    for mount, (source, is_dir) in zip(mounts, sources, strict=True):
        shadows.ensure(mount["target"], is_dir)
        _mount(f"/proc/self/fd/{source}", mount["target"], None, MS_BIND | MS_REC)
        if mount["read_only"]:
            _mount(None, mount["target"], None, MS_REMOUNT | MS_BIND | MS_RDONLY)
    for directory in plan["dirs"]:
        shadows.ensure(directory, True)
    # The image's files stay where they are, whatever the pod mounted above them.
    targets = [m["target"].rstrip("/") + "/" for m in mounts]
    for path, image in images:
        if any((path + "/").startswith(t) for t in targets):
            os.makedirs(path, exist_ok=True)
            _mount(f"/proc/self/fd/{image}", path, None, MS_BIND | MS_REC)
            shadows.made.append(path)  # read-only with a read-only root
    if plan["read_only_root"]:
        _read_only_root([f"/proc/self/fd/{workdir}", *shadows.made])
    os.fchdir(workdir)   # the containers' default working directory (nsenter --wd)
    print("ready", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        signal.pause()


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except OSError as exc:
        print(f"error: {exc}", flush=True)
        sys.exit(1)
