"""The files that FILE... names: several paths, globs, directories (Hive-style `key=value/`
folders give columns) and fsspec URLs, expanded into a stable list of files.

Nothing here imports Polars or NumPy: a --jobs run knows how many files it has, and so how
many threads this process may take, before Polars sizes its thread pool at import
(cli/scale.py)."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from pathlib import Path

from losscli.core.errors import UsageError
from losscli.inputs.source import InputError

# The extensions of the tables read, and the format each names.
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "ndjson",
    ".ndjson": "ndjson",
}
GLOB_CHARS = "*?["


@dataclass(frozen=True)
class DataFile:
    """One file of a dataset and the partition columns its folders give it."""

    path: str
    partitions: dict[str, str] = field(default_factory=dict)


def is_remote(path: str) -> bool:
    return "://" in path and not path.startswith("file://")


def expand(paths: list[str]) -> list[DataFile]:
    """The files that FILE... names, in a stable order: each path as given, a glob's matches
    sorted, a directory's table files (recursively) sorted. A missing path is an error."""
    files: list[DataFile] = []
    for path in paths:
        if is_remote(path):
            files.extend(_expand_remote(path))
        elif any(ch in path for ch in GLOB_CHARS):
            matches = sorted(glob.glob(path, recursive=True))
            if not matches:
                raise UsageError(f"{path}: no file matches")
            for match in matches:
                files.extend(_expand_local(match, root=None))
        else:
            files.extend(_expand_local(path, root=None))
    return files


def _expand_local(path: str, root: str | None) -> list[DataFile]:
    item = Path(path)
    if not item.exists():
        raise UsageError(f"{path}: no such file")
    if not item.is_dir():
        return [DataFile(path, _partitions(path, root))]
    found = sorted(
        str(p)
        for p in item.rglob("*")
        if p.is_file()
        and p.suffix.lower() in EXTENSIONS
        and not any(part.startswith((".", "_")) for part in p.relative_to(item).parts)
    )
    if not found:
        raise InputError(f"{path}: a directory with no table files (.csv .parquet ...)")
    return [DataFile(f, _partitions(f, path)) for f in found]


def _partitions(path: str, root: str | None) -> dict[str, str]:
    """The `key=value` folders between the dataset's root and the file (Hive partitioning)."""
    parent = Path(path).parent
    parts = parent.relative_to(root).parts if root is not None else parent.parts
    found = {}
    for part in parts:
        key, eq, value = part.partition("=")
        if eq and key:
            found[key] = value
    return found


def _expand_remote(path: str) -> list[DataFile]:
    """A remote file, glob or folder, listed through fsspec (an optional dependency)."""
    try:
        import fsspec
    except ImportError:
        raise InputError(
            f"{path}: remote paths need fsspec: pip install 'losscli[remote]'"
        ) from None
    fs, _, [base] = fsspec.get_fs_token_paths(path)
    if any(ch in base for ch in GLOB_CHARS):
        names = sorted(fs.glob(base))
    elif fs.isdir(base):
        names = sorted(
            p
            for p in fs.find(base)
            if os.path.splitext(p)[1].lower() in EXTENSIONS
            and not any(s.startswith((".", "_")) for s in p[len(base) :].split("/") if s)
        )
    elif fs.exists(base):
        names = [base]
    else:
        raise UsageError(f"{path}: no such file")
    if not names:
        raise UsageError(f"{path}: no file matches")
    root = base if fs.isdir(base) else None
    return [
        DataFile(fs.unstrip_protocol(name), _partitions(name, root) if root else {})
        for name in names
    ]
