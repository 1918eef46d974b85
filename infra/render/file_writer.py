"""Writes the manifests a render worker streams to it, in a process of its own.

``python -m infra.render.file_writer DIR [PREVIOUS]`` reads frames from stdin until it
closes: a header of two big-endian uint32 (path length, content length), the path (UTF-8,
relative to DIR) and the content, one Kubernetes object as JSON. The object is written as
YAML (``infra.yamlio``). Emitting YAML and creating a file cost ~0.3 ms and 0.1–0.5 ms
here; in the render worker both would hold (or wait for) Python's lock that the program
needs, so a process of its own turns a region's ~1,500 objects into files on the other
core while the program runs (see ``infra.render.writer.ManifestWriter``). JSON is the
hand-over because the worker encodes it with orjson in microseconds and it carries exactly
the plain data (mappings, lists, strings, numbers, booleans, nulls) a manifest is made of.

``PREVIOUS`` is the last render's manifests folder, when there is one: a manifest whose
YAML is byte for byte the one already there becomes a hard link to that file instead of a
new one. A re-render then touches only what changed (unchanged files keep their inode and
modification time, as after ``rsync``), and deleting the previous folder afterwards only
removes names. PREVIOUS itself is only read, so a render that fails leaves it whole.

Imports only libyaml's bindings and orjson, so it starts in ~50 ms.
"""

from __future__ import annotations

import os
import stat
import struct
import sys
from pathlib import Path, PurePosixPath

import orjson

from infra import yamlio

HEADER = struct.Struct("!II")
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC


def frame(path: str, content: bytes) -> bytes:
    encoded = path.encode("utf-8")
    return HEADER.pack(len(encoded), len(content)) + encoded + content


def _read_exactly(stream, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise EOFError(f"stream ended inside a frame ({len(data)} of {size} bytes)")
    return data


def manifest_text(obj: object) -> bytes:
    """A manifest as the renderer writes it: block YAML, keys in the program's order."""
    return yamlio.dump(obj, sort_keys=False, width=120).encode("utf-8")


def _holds(path: Path, text: bytes) -> bool:
    """Whether ``path`` is a regular file whose content is exactly ``text``."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:  # not there (a new object), or not readable: write it afresh
        return False
    try:
        status = os.fstat(descriptor)
        return stat.S_ISREG(status.st_mode) and status.st_size == len(text) and \
            os.read(descriptor, len(text) + 1) == text
    except OSError:
        return False
    finally:
        os.close(descriptor)


def _create(path: Path, text: bytes) -> None:
    descriptor = os.open(path, _CREATE, 0o666)
    try:
        view = memoryview(text)
        while view:
            view = view[os.write(descriptor, view):]
    finally:
        os.close(descriptor)


def write_frames(stream, root: Path, previous: Path | None = None) -> dict[str, int]:
    """Write every frame of ``stream`` under ``root`` as YAML, linking the files of
    ``previous`` whose content is unchanged; return how many files were written and linked."""
    folders: set[Path] = set()
    counts = {"written": 0, "linked": 0}
    while header := stream.read(HEADER.size):
        if len(header) != HEADER.size:
            raise EOFError("stream ended inside a frame header")
        path_size, content_size = HEADER.unpack(header)
        relative = PurePosixPath(_read_exactly(stream, path_size).decode("utf-8"))
        if relative.is_absolute() or ".." in relative.parts:
            raise ValueError(f"refusing to write outside {root}: {relative}")
        target = root / relative
        if target.parent not in folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            folders.add(target.parent)
        text = manifest_text(orjson.loads(_read_exactly(stream, content_size)))
        previous_file = previous / relative if previous is not None else None
        if previous_file is not None and _holds(previous_file, text):
            try:
                os.link(previous_file, target)
                counts["linked"] += 1
                continue
            except OSError:  # e.g. a file system without hard links: write it instead
                pass
        _create(target, text)
        counts["written"] += 1
    return counts


def main(argv: list[str]) -> int:
    previous = Path(argv[1]) if len(argv) > 1 else None
    try:
        write_frames(sys.stdin.buffer, Path(argv[0]), previous)
    except (OSError, EOFError, ValueError) as failure:  # orjson.JSONDecodeError is a ValueError
        print(f"manifests not written: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
