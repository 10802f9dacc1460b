"""Places that refuse writes, for the disk-full and unwritable-path tests.

We run as root (CI too), so chmod does not make a directory unwritable: a read-only tmpfs does, and where mounting
is not allowed a path whose parent is a regular file does. A full disk is a small tmpfs filled by a filler file;
without mount rights it is RLIMIT_FSIZE in the child process (EFBIG instead of ENOSPC).
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import signal
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# Set to exercise the fallbacks on a machine where mounting works (as CI without mount rights would run).
NO_MOUNT_ENV = "DW_TEST_NO_MOUNT"


def _mount(options: str, directory: Path) -> bool:
    directory.mkdir(parents=True, exist_ok=True)
    if os.environ.get(NO_MOUNT_ENV):
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(directory)], capture_output=True, text=True
    )
    return done.returncode == 0


def _unmount(directory: Path) -> None:
    # Lazy: a child the test could not stop in time must not leave the mount behind.
    subprocess.run(["umount", "-l", str(directory)], capture_output=True)


def _refuses_writes(directory: Path) -> bool:
    try:
        (directory / f"probe-{uuid.uuid4().hex}").write_bytes(b"x")
    except OSError:
        return True
    return False


@dataclass(frozen=True)
class Unwritable:
    directory: Path  # the warehouse directory (DW_WAREHOUSE_PATH's parent)
    how: str  # "read-only tmpfs" or "parent is a regular file"
    cause: str  # the words the error must contain


@contextlib.contextmanager
def unwritable_dir(scratch: Path) -> Iterator[Unwritable]:
    """A directory no process of ours can write in; skips (with the reason) only when none can be made."""
    ro = scratch / "readonly-mount"
    if _mount("ro,size=1m", ro):
        try:
            if _refuses_writes(ro):
                yield Unwritable(ro, "read-only tmpfs", "read-only file system")
                return
        finally:
            _unmount(ro)
    blocker = scratch / "not-a-directory"
    blocker.write_text("a regular file where the warehouse directory's parent should be\n")
    target = blocker / "warehouse"
    if not _refuses_writes(blocker):  # cannot happen on POSIX; guard the claim anyway
        pytest.skip("no unwritable path could be made: tmpfs mount refused and ENOTDIR did not occur")
    yield Unwritable(target, "parent is a regular file", "not a directory")


class SmallDisk:
    """A directory on a small file system that a test can fill up and free again.

    With mount rights: a tmpfs of `size_mb`, filled by a filler file (ENOSPC). Without: child processes started
    with `child_limits()` get RLIMIT_FSIZE (EFBIG past the limit: no write beyond `leave_bytes` into any file),
    SIGXFSZ ignored so the write fails with an error instead of killing the process."""

    def __init__(self, directory: Path, size_mb: int):
        self.directory = directory
        self.size_mb = size_mb
        self.mounted = _mount(f"size={size_mb}m", directory)
        self.filler = directory / "filler.bin"
        self._fsize_limit: int | None = None

    @property
    def cause(self) -> str:
        return "no space left on device" if self.mounted else "file too large"

    def free_bytes(self) -> int:
        st = os.statvfs(self.directory)
        return st.f_bavail * st.f_frsize

    def fill(self, leave_bytes: int = 0) -> None:
        """Leave about `leave_bytes` free (tmpfs), or let no file of a child grow past `leave_bytes` (rlimit)."""
        if not self.mounted:
            self._fsize_limit = max(leave_bytes, 4096)
            return
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            block = b"\0" * (1 << 20)
            while self.free_bytes() > leave_bytes + len(block):
                os.write(fd, block)
            with contextlib.suppress(OSError):
                while self.free_bytes() > leave_bytes:
                    os.write(fd, b"\0" * 4096)
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
        finally:
            os.close(fd)

    def release(self) -> None:
        self.filler.unlink(missing_ok=True)
        self._fsize_limit = None

    def child_limits(self):
        """preexec_fn for subprocess: the file size limit when there is no tmpfs to fill."""
        limit = self._fsize_limit
        if limit is None:
            return None

        def apply() -> None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        return apply

    def close(self) -> None:
        if self.mounted:
            _unmount(self.directory)


@contextlib.contextmanager
def small_disk(directory: Path, size_mb: int) -> Iterator[SmallDisk]:
    disk = SmallDisk(directory, size_mb)
    try:
        yield disk
    finally:
        disk.close()
