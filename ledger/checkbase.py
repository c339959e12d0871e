"""The base of the check cache: every file and record as the last full write saw them.

Stored as columns of bytes and integers (no Python object per record until one is asked for), with
sorted columns searched by bisection: a check after a few edits looks up the ids, the files that
refer to them and the totals that add them up, and loads nothing else. Each file's facts are kept
apart, in blobs.bin, and read one file at a time, each checked against its own digest.
"""

from __future__ import annotations

import bisect
import hashlib
import marshal
import mmap
from array import array
from collections.abc import Iterator, Mapping, Sequence
from itertools import accumulate
from typing import Any

_KIND_CODES = {"person": "p", "org": "o", "event": "e", "testimony": "t", "statement": "s", "document": "d",
               "claim": "c"}
_CODE_KINDS = {code: kind for kind, code in _KIND_CODES.items()}
BLOB_DIGEST = 16

# The columns of a stored base: strings as one bytes object and an offsets column; integers as arrays.
_STRINGS = ("names", "r_id", "dep_keys", "part_keys")
_INTS = ("sizes", "mtimes", "docs", "offsets", "starts", "r_index", "r_line", "id_rows", "dep_files",
         "part_rows", "claim_offsets", "e_starts")
_OTHER = ("shas", "digests", "r_kind", "claims", "e_path", "parse_findings", "rule_findings", "blobs_sha")
COLUMNS = tuple(f"{name}.blob" for name in _STRINGS) + tuple(f"{name}.offsets" for name in _STRINGS) + _INTS + _OTHER


class Strings(Sequence[str]):
    """A column of strings held as one bytes object and the offsets of each string in it."""

    def __init__(self, blob: bytes, offsets: Sequence[int]) -> None:
        self.blob, self.offsets = blob, offsets

    @classmethod
    def of(cls, strings: Sequence[str]) -> Strings:
        encoded = [s.encode("utf-8", "surrogateescape") for s in strings]
        return cls(b"".join(encoded), array("q", accumulate(map(len, encoded), initial=0)))

    def __getitem__(self, i: int) -> str:  # type: ignore[override]
        return self.blob[self.offsets[i]:self.offsets[i + 1]].decode("utf-8", "surrogateescape")

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __iter__(self) -> Iterator[str]:
        text = self.blob.decode("utf-8", "surrogateescape")
        offsets = self.offsets
        if len(text) != len(self.blob):  # not all ASCII: byte offsets are not character offsets
            return (self[i] for i in range(len(self)))
        return iter([text[a:b] for a, b in zip(offsets, offsets[1:])])

    def find(self, key: str) -> range:
        """The positions holding `key`, in a column sorted in str order."""
        lo = bisect.bisect_left(self, key)
        hi = lo
        while hi < len(self) and self[hi] == key:
            hi += 1
        return range(lo, hi)


def _ints(values: Any) -> array:
    return array("q", values)


def build(files: list[tuple[str, int, int, str, int, bytes, list[Any], list[Any], list[Any]]]) -> dict[str, Any]:
    """A base from every file: (name, size, mtime, sha, documents, facts blob, facts, parse findings, rule
    findings), sorted by name, their blobs written to blobs.bin in this order (whose sha256 `save` adds)."""
    rows = [(number, f) for number, file in enumerate(files) for f in file[6]]  # every record, in file order
    r_id = [f[1] for _, f in rows]
    claims = [marshal.dumps(f[8]) if f[8] is not None else b"" for _, f in rows]
    deps = {(ref, number) for number, f in rows for _, ref, _ in f[6]}
    deps.update((part, number) for number, f in rows if f[8] is not None for part in f[8][3])
    dep_pairs = sorted(deps)
    parts = sorted((part, row) for row, (_, f) in enumerate(rows) if f[8] is not None for part in f[8][3])
    evidence = [[path for f in file[6] for _, path, _ in f[9]] for file in files]
    base = {
        "sizes": _ints([file[1] for file in files]),
        "mtimes": _ints([file[2] for file in files]),
        "shas": b"".join([bytes.fromhex(file[3]) if file[3] else bytes(32) for file in files]),
        "docs": _ints([file[4] for file in files]),
        "offsets": _ints(accumulate((len(file[5]) for file in files), initial=0)),
        "digests": b"".join([hashlib.blake2b(file[5], digest_size=BLOB_DIGEST).digest() for file in files]),
        "starts": _ints(accumulate((len(file[6]) for file in files), initial=0)),
        "r_kind": "".join([_KIND_CODES.get(f[0], "?") for _, f in rows]),
        "r_index": _ints([f[3] for _, f in rows]),
        "r_line": _ints([f[4] for _, f in rows]),
        # every row, ordered by id (a stable sort: the rows of one id stay in file order)
        "id_rows": _ints(sorted(range(len(r_id)), key=r_id.__getitem__)),
        "claims": b"".join(claims),
        "claim_offsets": _ints(accumulate(map(len, claims), initial=0)),
        "dep_files": _ints([number for _, number in dep_pairs]),
        "part_rows": _ints([row for _, row in parts]),
        "e_path": [path for paths in evidence for path in paths],
        "e_starts": _ints(accumulate(map(len, evidence), initial=0)),
        "parse_findings": {file[0]: file[7] for file in files if file[7]},
        "rule_findings": {file[0]: file[8] for file in files if file[8]},
        "blobs_sha": b"",
    }
    for column, strings in (("names", [file[0] for file in files]), ("r_id", r_id),
                            ("dep_keys", [ref for ref, _ in dep_pairs]), ("part_keys", [part for part, _ in parts])):
        packed = Strings.of(strings)
        base[f"{column}.blob"], base[f"{column}.offsets"] = packed.blob, packed.offsets
    return base


def pack(base: dict[str, Any]) -> dict[str, Any]:
    """The base as marshal stores it cheaply: integer columns as bytes."""
    return {name: (value.tobytes() if isinstance(value, array) else value) for name, value in base.items()}


class Base:
    """A stored base, read back: lookups by file name, by id, by referenced id and by part of a total."""

    def __init__(self, packed: Any) -> None:
        """Raises ValueError when `packed` is not a base, or not a consistent one."""
        if not isinstance(packed, dict) or set(packed) != set(COLUMNS):
            raise ValueError("not a base")
        try:  # integer columns as views of the bytes read: no copy
            columns: dict[str, Any] = {}
            for name in (*_INTS, *(f"{s}.offsets" for s in _STRINGS)):
                columns[name] = memoryview(packed[name]).cast("q")
        except (TypeError, ValueError) as e:
            raise ValueError("not a base") from e
        for name in _STRINGS:
            blob, offsets = packed[f"{name}.blob"], columns[f"{name}.offsets"]
            if not isinstance(blob, bytes) or len(offsets) < 1 or offsets[0] != 0 or offsets[-1] != len(blob):
                raise ValueError("not a base")
            columns[name] = Strings(blob, offsets)
        self.names: Strings = columns["names"]
        self.r_id: Strings = columns["r_id"]
        self.dep_keys: Strings = columns["dep_keys"]
        self.part_keys: Strings = columns["part_keys"]
        self.sizes, self.mtimes, self.docs = columns["sizes"], columns["mtimes"], columns["docs"]
        self.offsets, self.starts, self.e_starts = columns["offsets"], columns["starts"], columns["e_starts"]
        self.r_index, self.r_line, self.id_rows = columns["r_index"], columns["r_line"], columns["id_rows"]
        self.dep_files, self.part_rows = columns["dep_files"], columns["part_rows"]
        self.claim_offsets = columns["claim_offsets"]
        self.shas, self.digests, self.r_kind = packed["shas"], packed["digests"], packed["r_kind"]
        self.claims, self.e_path = packed["claims"], packed["e_path"]
        self.parse_findings, self.rule_findings = packed["parse_findings"], packed["rule_findings"]
        self.blobs_sha = packed["blobs_sha"]
        files, rows = len(self.names), len(self.r_id)
        if not (all(len(c) == files for c in (self.sizes, self.mtimes, self.docs))
                and all(len(c) == files + 1 for c in (self.starts, self.offsets, self.e_starts))
                and isinstance(self.shas, bytes) and len(self.shas) == 32 * files
                and isinstance(self.digests, bytes) and len(self.digests) == BLOB_DIGEST * files
                and isinstance(self.r_kind, str) and len(self.r_kind) == rows
                and all(len(c) == rows for c in (self.r_index, self.r_line, self.id_rows))
                and len(self.claim_offsets) == rows + 1 and isinstance(self.claims, bytes)
                and self.claim_offsets[-1] == len(self.claims)
                and len(self.dep_files) == len(self.dep_keys) and len(self.part_rows) == len(self.part_keys)
                and self.starts[-1] == rows and isinstance(self.e_path, list) and self.e_starts[-1] == len(self.e_path)
                and isinstance(self.parse_findings, dict) and isinstance(self.rule_findings, dict)
                and isinstance(self.blobs_sha, bytes)):
            raise ValueError("an inconsistent base")
        self._numbers: dict[str, int | None] = {}

    @property
    def files(self) -> int:
        return len(self.names)

    @property
    def rows(self) -> int:
        return len(self.r_id)

    def number(self, name: str) -> int | None:
        """The position of file `name`, or None when the base does not have it."""
        if not self.names.offsets[-1]:  # no files: a first run's empty base
            return None
        if name not in self._numbers:
            if len(self._numbers) == 256:  # many lookups: one dict of every name costs less than bisecting
                self._numbers = {**dict(zip(self.names, range(self.files))), **self._numbers}
                if name in self._numbers:
                    return self._numbers[name]
            found = self.names.find(name)
            self._numbers[name] = found.start if found else None
        return self._numbers[name]

    def sha(self, i: int) -> str:
        return self.shas[32 * i:32 * i + 32].hex()

    def file_of_row(self, row: int) -> int:
        return bisect.bisect_right(self.starts, row) - 1

    def kind(self, row: int) -> str:
        return _CODE_KINDS.get(self.r_kind[row], "?")

    def rows_with(self, rid: str) -> list[int]:
        """The rows holding id `rid`, in file order."""
        r_id, id_rows = self.r_id, self.id_rows
        k = bisect.bisect_left(id_rows, rid, key=r_id.__getitem__)
        found = []
        while k < len(id_rows) and r_id[id_rows[k]] == rid:
            found.append(id_rows[k])
            k += 1
        return found

    def claim(self, row: int) -> Any:
        encoded = self.claims[self.claim_offsets[row]:self.claim_offsets[row + 1]]
        return marshal.loads(encoded) if encoded else None

    def files_naming(self, rid: str) -> list[int]:
        """The files whose records refer to `rid` or add it up."""
        return [self.dep_files[k] for k in self.dep_keys.find(rid)]

    def totals_of(self, part: str) -> list[str]:
        """The ids of the claims that add up `part`."""
        return [self.r_id[self.part_rows[k]] for k in self.part_keys.find(part)]

    def file_of_evidence(self, k: int) -> int:
        return bisect.bisect_right(self.e_starts, k) - 1


class Blobs:
    """blobs.bin: each file's facts, read one file at a time and checked against the base's digest of it."""

    def __init__(self, handle: Any, header: int, base: Base) -> None:
        self.base, self.header = base, header
        size = handle.seek(0, 2)
        self.map: Any = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""

    def blob(self, i: int) -> bytes | None:
        """File `i`'s facts as stored, or None when they are not what the base recorded."""
        a, b = self.base.offsets[i] + self.header, self.base.offsets[i + 1] + self.header
        if not self.header <= a <= b <= len(self.map):
            return None
        blob = bytes(self.map[a:b])
        if hashlib.blake2b(blob, digest_size=BLOB_DIGEST).digest() != \
                self.base.digests[BLOB_DIGEST * i:BLOB_DIGEST * (i + 1)]:
            return None
        return blob

    def close(self) -> None:
        if isinstance(self.map, mmap.mmap):
            self.map.close()


class Index(Mapping[str, Any]):
    """The first record of every id (in file order), from the base and the files read since (the delta).

    `dead` are the base's files the delta replaces or removes; a Target is made only for the ids asked about.
    """

    def __init__(self, base: Base, dead: set[int], extra: dict[str, list[Any]]) -> None:
        from .checks import Target

        self._target = Target
        self.base, self.dead = base, dead
        self.extra: dict[str, tuple[str, Any]] = {}  # id -> (file, facts) where the delta has its first record
        for name in sorted(extra):
            for f in extra[name]:
                if f[1] not in self.extra:
                    self.extra[f[1]] = (name, f)
        self._rows: dict[str, int | None] = {}
        self._all: dict[str, Any] | None = None

    def _base_row(self, rid: str) -> int | None:
        if not self.base.rows:
            return None
        if rid not in self._rows:
            self._rows[rid] = next((row for row in self.base.rows_with(rid)
                                    if self.base.file_of_row(row) not in self.dead), None)
        return self._rows[rid]

    def _first(self, rid: str) -> tuple[str, Any] | None:
        """("extra", facts) or ("base", row) for the first record of `rid`, or None."""
        row = self._base_row(rid)
        if rid in self.extra:
            name, f = self.extra[rid]
            b = self.base
            if row is None or (name, f[3]) < (b.names[b.file_of_row(row)], b.r_index[row]):
                return "extra", (name, f)
        return ("base", row) if row is not None else None

    def __getitem__(self, rid: str) -> Any:
        found = self._first(rid) if isinstance(rid, str) else None
        if found is None:
            raise KeyError(rid)
        if found[0] == "extra":
            name, f = found[1]
            return self._target(f[0], name, f[3], f[4])
        row, b = found[1], self.base
        return self._target(b.kind(row), b.names[b.file_of_row(row)], b.r_index[row], b.r_line[row])

    def __contains__(self, rid: object) -> bool:
        return isinstance(rid, str) and self._first(rid) is not None

    def _every(self) -> dict[str, Any]:
        """Every id and its first record: read in full, only for a "did you mean"."""
        if self._all is None:
            b, first = self.base, {}
            for i in range(b.files):
                if i not in self.dead:
                    for row in range(b.starts[i], b.starts[i + 1]):
                        first.setdefault(b.r_id[row], row)
            self._rows.update(first)
            self._all = {rid: self[rid] for rid in sorted(first.keys() | self.extra.keys())}
        return self._all

    def kinds(self) -> dict[str, str]:
        """Every id and the kind of its first record, without making a target for each."""
        b = self.base
        dead_rows = {row for i in self.dead for row in range(b.starts[i], b.starts[i + 1])}
        out: dict[str, str] = {}
        for row, (rid, code) in enumerate(zip(b.r_id, b.r_kind)):
            if rid not in out and row not in dead_rows:
                out[rid] = _CODE_KINDS.get(code, "?")
        for rid, (_, f) in self.extra.items():
            if rid not in out or self._first(rid)[0] == "extra":  # type: ignore[index]
                out[rid] = f[0]
        return out

    def __iter__(self) -> Iterator[str]:
        return iter(self._every())

    def __len__(self) -> int:
        return len(self._every())

    def items(self) -> Any:
        return self._every().items()

    def claim(self, rid: str) -> Any:
        found = self._first(rid)
        if found is None:
            return None
        return found[1][1][8] if found[0] == "extra" else self.base.claim(found[1])


class Claims(Mapping[str, Any]):
    """The figures of the claims among the first records of every id."""

    def __init__(self, index: Index) -> None:
        self.index = index

    def __getitem__(self, rid: str) -> Any:
        claim = self.index.claim(rid) if isinstance(rid, str) else None
        if claim is None:
            raise KeyError(rid)
        return claim

    def __iter__(self) -> Iterator[str]:
        return (rid for rid in self.index if self.index.claim(rid) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, rid: object) -> bool:
        return isinstance(rid, str) and self.index.claim(rid) is not None
