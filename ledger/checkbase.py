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
from collections.abc import Collection, Iterable, Iterator, Sequence
from itertools import accumulate, pairwise
from typing import Any

from .facts import (
    CLAIM,
    DATE,
    DOCUMENT,
    EVIDENCE_PATH,
    FILES,
    ID,
    KIND,
    LINE,
    REF_ID,
    REF_PATH,
    REFS,
    SOURCE,
    Facts,
    Figure,
    Referrer,
    Target,
)

BLOB_DIGEST = 16

# The columns of a stored base: strings as one bytes object and an offsets column; integers as arrays; the kinds
# of records and the fields of references as small tables of names, each row holding a byte that indexes them.
# `r_date` and `r_source` hold "" for a record without a date or a source: a date or an id is never empty.
_STRINGS = ("names", "r_id", "ref_keys", "r_date", "r_source")
_INTS = ("sizes", "mtimes", "docs", "offsets", "starts", "r_index", "r_line", "id_rows", "ref_rows",
         "claim_offsets", "e_starts")
_OTHER = ("shas", "digests", "kinds", "r_kind", "fields", "ref_field", "claims", "e_path", "parse_findings",
          "rule_findings", "blobs_sha")
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
        return iter([text[a:b] for a, b in pairwise(offsets)])

    def find(self, key: str) -> range:
        """The positions holding `key`, in a column sorted in str order."""
        lo = bisect.bisect_left(self, key)
        hi = lo
        while hi < len(self) and self[hi] == key:
            hi += 1
        return range(lo, hi)


def _ints(values: Any) -> array[int]:
    return array("q", values)


def build(files: list[tuple[str, int, int, str, int, bytes, list[Any], list[Any], list[Any]]]) -> dict[str, Any]:
    """A base from every file: (name, size, mtime, sha, documents, facts blob, facts as plain tuples, parse
    findings, rule findings), sorted by name, their blobs written to blobs.bin in this order (whose sha256 `save`
    adds)."""
    rows = [f for file in files for f in file[6]]  # every record, in file order
    r_id = [f[ID] for f in rows]
    claims = [marshal.dumps(f[CLAIM]) if f[CLAIM] is not None else b"" for f in rows]
    kinds = sorted({f[KIND] for f in rows})
    kind_code = {kind: code for code, kind in enumerate(kinds)}
    # every reference: the id it names, the row that names it, and the field that holds it, ordered by id
    refs = sorted((ref[REF_ID], row, str(ref[REF_PATH][0])) for row, f in enumerate(rows) for ref in f[REFS])
    fields = sorted({field for _, _, field in refs})
    field_code = {field: code for code, field in enumerate(fields)}
    if len(kinds) > 255 or len(fields) > 255:
        raise ValueError("more kinds or fields than a byte can index")
    evidence = [[e[EVIDENCE_PATH] for f in file[6] for e in f[FILES]] for file in files]
    base = {
        "sizes": _ints([file[1] for file in files]),
        "mtimes": _ints([file[2] for file in files]),
        "shas": b"".join([bytes.fromhex(file[3]) if file[3] else bytes(32) for file in files]),
        "docs": _ints([file[4] for file in files]),
        "offsets": _ints(accumulate((len(file[5]) for file in files), initial=0)),
        "digests": b"".join([hashlib.blake2b(file[5], digest_size=BLOB_DIGEST).digest() for file in files]),
        "starts": _ints(accumulate((len(file[6]) for file in files), initial=0)),
        "kinds": kinds,
        "r_kind": bytes(kind_code[f[KIND]] for f in rows),
        "r_index": _ints([f[DOCUMENT] for f in rows]),
        "r_line": _ints([f[LINE] for f in rows]),
        # every row, ordered by id (a stable sort: the rows of one id stay in file order)
        "id_rows": _ints(sorted(range(len(r_id)), key=r_id.__getitem__)),
        "claims": b"".join(claims),
        "claim_offsets": _ints(accumulate(map(len, claims), initial=0)),
        "ref_rows": _ints([row for _, row, _ in refs]),
        "fields": fields,
        "ref_field": bytes(field_code[field] for _, _, field in refs),
        "e_path": [path for paths in evidence for path in paths],
        "e_starts": _ints(accumulate(map(len, evidence), initial=0)),
        "parse_findings": {file[0]: file[7] for file in files if file[7]},
        "rule_findings": {file[0]: file[8] for file in files if file[8]},
        "blobs_sha": b"",
    }
    for column, strings in (("names", [file[0] for file in files]), ("r_id", r_id),
                            ("ref_keys", [rid for rid, _, _ in refs]), ("r_date", [f[DATE] or "" for f in rows]),
                            ("r_source", [f[SOURCE] or "" for f in rows])):
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
        self.ref_keys: Strings = columns["ref_keys"]
        self.r_date: Strings = columns["r_date"]
        self.r_source: Strings = columns["r_source"]
        self.sizes, self.mtimes, self.docs = columns["sizes"], columns["mtimes"], columns["docs"]
        self.offsets, self.starts, self.e_starts = columns["offsets"], columns["starts"], columns["e_starts"]
        self.r_index, self.r_line, self.id_rows = columns["r_index"], columns["r_line"], columns["id_rows"]
        self.ref_rows, self.claim_offsets = columns["ref_rows"], columns["claim_offsets"]
        self.shas, self.digests, self.r_kind = packed["shas"], packed["digests"], packed["r_kind"]
        self.kinds, self.fields, self.ref_field = packed["kinds"], packed["fields"], packed["ref_field"]
        self.claims, self.e_path = packed["claims"], packed["e_path"]
        self.parse_findings, self.rule_findings = packed["parse_findings"], packed["rule_findings"]
        self.blobs_sha = packed["blobs_sha"]
        files, rows = len(self.names), len(self.r_id)
        if not (all(len(c) == files for c in (self.sizes, self.mtimes, self.docs))
                and all(len(c) == files + 1 for c in (self.starts, self.offsets, self.e_starts))
                and isinstance(self.shas, bytes) and len(self.shas) == 32 * files
                and isinstance(self.digests, bytes) and len(self.digests) == BLOB_DIGEST * files
                and isinstance(self.r_kind, bytes) and len(self.r_kind) == rows
                and isinstance(self.kinds, list) and all(code < len(self.kinds) for code in set(self.r_kind))
                and isinstance(self.fields, list) and isinstance(self.ref_field, bytes)
                and len(self.ref_field) == len(self.ref_rows) == len(self.ref_keys)
                and all(code < len(self.fields) for code in set(self.ref_field))
                and all(len(c) == rows for c in (self.r_index, self.r_line, self.id_rows, self.r_date,
                                                  self.r_source))
                and len(self.claim_offsets) == rows + 1 and isinstance(self.claims, bytes)
                and self.claim_offsets[-1] == len(self.claims)
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
        return bytes(self.shas[32 * i:32 * i + 32]).hex()

    def file_of_row(self, row: int) -> int:
        return bisect.bisect_right(self.starts, row) - 1

    def kind(self, row: int) -> str:
        return self.kinds[self.r_kind[row]]  # type: ignore[no-any-return]

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

    def referrers(self, rid: str) -> list[tuple[int, str]]:
        """(row, field) of every reference to `rid`: the records that name it, and in which field."""
        return [(self.ref_rows[k], self.fields[self.ref_field[k]]) for k in self.ref_keys.find(rid)]

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


class Index:
    """The whole ledger by id, from the base and the files read since (the delta), as the rules (ledger/rules.py,
    `Index`) and the cache's reckoning of what a change affects need it, without loading every record.

    `dead` are the base's files that the delta replaces or removes; `extra` the facts of the delta's files.
    """

    def __init__(self, base: Base, dead: set[int], extra: dict[str, list[Facts]]) -> None:
        self.base, self.dead, self.extra = base, dead, extra
        self._first_extra: dict[str, tuple[str, Facts]] = {}  # id -> (file, facts): its first record in the delta
        self._extra_ids: dict[str, set[str]] = {}  # id -> the delta's files with a record of that id
        self._extra_refs: dict[str, list[tuple[str, Facts, str]]] = {}  # id -> (file, facts, field) naming it
        for name in sorted(extra):
            for f in extra[name]:
                self._first_extra.setdefault(f.id, (name, f))
                self._extra_ids.setdefault(f.id, set()).add(name)
                for ref in f.refs:
                    self._extra_refs.setdefault(ref.id, []).append((name, f, ref.field))
        self._rows: dict[str, int | None] = {}

    def _alive(self, row: int) -> bool:
        return self.base.file_of_row(row) not in self.dead

    def _base_row(self, rid: str) -> int | None:
        if not self.base.rows:
            return None
        if rid not in self._rows:
            self._rows[rid] = next((row for row in self.base.rows_with(rid) if self._alive(row)), None)
        return self._rows[rid]

    def _first(self, rid: str) -> tuple[str, Facts] | int | None:
        """The first record of `rid`: (file, facts) from the delta, or a row of the base, or None."""
        row = self._base_row(rid)
        if rid in self._first_extra:
            name, f = self._first_extra[rid]
            b = self.base
            if row is None or (name, f.document) < (b.names[b.file_of_row(row)], b.r_index[row]):
                return name, f
        return row

    def __getitem__(self, rid: str) -> Target:
        found = self._first(rid) if isinstance(rid, str) else None
        if found is None:
            raise KeyError(rid)
        if isinstance(found, tuple):
            name, f = found
            return Target(f.kind, name, f.document, f.line, f.date, f.source)
        b = self.base
        return Target(b.kind(found), b.names[b.file_of_row(found)], b.r_index[found], b.r_line[found],
                      b.r_date[found] or None, b.r_source[found] or None)

    def __contains__(self, rid: object) -> bool:
        return isinstance(rid, str) and self._first(rid) is not None

    def get(self, rid: str, default: Target | None = None) -> Target | None:
        return self[rid] if rid in self else default  # noqa: SIM401 - this is `get`

    def claim(self, rid: str) -> Figure | None:
        """The figure of the claim that is the first record of `rid`, or None."""
        found = self._first(rid)
        if found is None:
            return None
        if isinstance(found, tuple):
            return found[1].claim
        plain = self.base.claim(found)
        return Figure._make(plain) if plain is not None else None

    def kinds(self) -> dict[str, str]:
        """Every id and the kind of its first record, without making a target for each."""
        b = self.base
        dead_rows = {row for i in self.dead for row in range(b.starts[i], b.starts[i + 1])}
        out: dict[str, str] = {}
        for row, (rid, code) in enumerate(zip(b.r_id, b.r_kind)):
            if rid not in out and row not in dead_rows:
                out[rid] = b.kinds[code]
        for rid, (_, f) in self._first_extra.items():
            if rid not in out or isinstance(self._first(rid), tuple):
                out[rid] = f.kind
        return out

    def referrers(self, rid: str) -> list[Referrer]:
        """Every record whose references name `rid`, and in which field."""
        b = self.base
        found = [Referrer(b.kind(row), b.r_id[row], b.names[b.file_of_row(row)], field)
                 for row, field in b.referrers(rid) if self._alive(row)]
        found += [Referrer(f.kind, f.id, name, field) for name, f, field in self._extra_refs.get(rid, ())]
        return sorted(found, key=lambda r: r.file)

    # What a change affects: asked by the checker, for the reaches the rules declare ----------------------------

    def files_with(self, ids: Iterable[str]) -> set[str]:
        """The files that hold a record of any of `ids`."""
        b, out = self.base, set[str]()
        for rid in ids:
            out.update(b.names[b.file_of_row(row)] for row in b.rows_with(rid) if self._alive(row))
            out.update(self._extra_ids.get(rid, ()))
        return out

    def naming(self, ids: Iterable[str], fields: Collection[str] | None = None) -> set[str]:
        """The ids of the records whose references (in `fields`, or any) name any of `ids`."""
        out: set[str] = set()
        for rid in ids:
            out.update(r.id for r in self.referrers(rid) if fields is None or r.field in fields)
        return out

    def files_naming(self, ids: Iterable[str]) -> set[str]:
        """The files whose records refer to any of `ids`."""
        return {r.file for rid in ids for r in self.referrers(rid)}

    def reaching(self, ids: Iterable[str], fields: Collection[str]) -> set[str]:
        """`ids`, and the ids of every record that reaches one of them through `fields`, at any depth."""
        reached, todo = set(ids), list(ids)
        while todo:
            for rid in self.naming([todo.pop()], fields):
                if rid not in reached:
                    reached.add(rid)
                    todo.append(rid)
        return reached
