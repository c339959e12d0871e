"""Reading YAML: bytes in, plain Python documents with the line and column of every key and value out.

Records are built from the parser's event stream rather than by a YAML constructor, so that
this module alone decides what a value means (the YAML 1.2 core schema, whatever `%YAML`
directive a file carries), refuses alias bombs before anything is expanded, reports every
duplicate key with both lines, and never raises on bad input: every problem is a Finding.
"""

from __future__ import annotations

import functools
import math
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path as PathType
from typing import Any

from .findings import Finding

Path = tuple[Any, ...]
Pos = tuple[int, int]

# A legitimate record has a few hundred values; an alias bomb has billions.
ALIAS_EXPANSION_LIMIT = 10_000
# A record nests four levels deep (a record, its quotes, a quote, its fields); the pure-Python parser slows down
# with the square of the depth (5,000 levels of `[` take 10 s), so a deeper file is refused as soon as it is seen.
MAX_DEPTH = 32

_CORE_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_CORE_TRUE = re.compile(r"^(?:true|True|TRUE)$")
_CORE_FALSE = re.compile(r"^(?:false|False|FALSE)$")
_CORE_INT = re.compile(r"^[-+]?[0-9]+$")
_CORE_OCT = re.compile(r"^0o[0-7]+$")
_CORE_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_CORE_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_CORE_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_CORE_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")

_TAG = "tag:yaml.org,2002:"
_MAYBE_NOT_TEXT = frozenset("~nNtTfF0123456789+-.")  # the first characters of nulls, booleans and numbers


def resolve_plain(text: str) -> Any:
    """The YAML 1.2 core-schema meaning of a plain (unquoted, untagged) scalar."""
    if text and text[0] not in _MAYBE_NOT_TEXT:
        return text  # most values: words, ids, dates
    if _CORE_NULL.match(text):
        return None
    if _CORE_TRUE.match(text):
        return True
    if _CORE_FALSE.match(text):
        return False
    if _CORE_INT.match(text):
        try:
            return int(text)
        except ValueError:  # longer than Python's int-from-text limit: no count is that large
            return text
    if _CORE_OCT.match(text):
        return int(text, 0)
    if _CORE_HEX.match(text):
        return int(text, 0)
    if _CORE_FLOAT.match(text):
        return float(text)
    if _CORE_INF.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _CORE_NAN.match(text):
        return math.nan
    return text


class _TagError(ValueError):
    pass


class _TooDeep(Exception):
    """Nesting past MAX_DEPTH: parsing stops at once."""


def _resolve_tagged(text: str, tag: str) -> Any:
    name = tag[len(_TAG) :] if tag.startswith(_TAG) else None
    if name == "str":
        return text
    if name in ("int", "float", "bool", "null"):
        value: Any = resolve_plain(text)
        wanted: Any = {"int": int, "float": (int, float), "bool": bool, "null": type(None)}[name]
        if isinstance(value, bool) and name != "bool":
            value = text
        if not isinstance(value, wanted):
            raise _TagError(f"`!!{name}` value that is not a {name}")
        return float(value) if name == "float" else value
    raise _TagError("an explicit tag (`!…`) that records do not use; write plain YAML values")


@dataclass
class Document:
    """One YAML document of a file: its data and where each of its keys and values starts.

    `line` and `column` are where the document's content starts. A document read by the fast path
    keeps its file's text instead of positions, and finds them only when a finding asks.
    """

    data: Any = field(repr=False)
    index: int
    line: int
    column: int
    positions: dict[Path, Pos] = field(default_factory=dict, repr=False)
    key_positions: dict[Path, Pos] = field(default_factory=dict, repr=False)
    # (file, its text, or the path to read it from) to locate from
    source: tuple[str, str | PathType] | None = field(default=None, repr=False)

    def _load_positions(self) -> None:
        assert self.source is not None
        file, text = self.source
        self.source = None
        if not isinstance(text, str):
            from .reading import Refused, read_bytes

            try:
                text = decode(read_bytes(text, None), file)[0] or ""
            except (OSError, Refused):
                return
        # libyaml's nodes carry the same marks as the precise parser's events, fifty times sooner: a finding in a
        # ledger.yaml of thousands of entries is located in milliseconds
        found = _libyaml_positions(text, self.index)
        if found is None:
            parsed = parse_text(text, file)
            if self.index >= len(parsed.documents):
                return
            precise = parsed.documents[self.index]
            found = precise.positions, precise.key_positions
        self.positions, self.key_positions = found

    def locate(self, path: Iterable[Any], key: bool = False) -> Pos:
        """Line and column of the value (or, with `key`, the key) at `path`, or of its nearest parent."""
        p = tuple(path)
        if not p and not key:
            return self.line, self.column
        if self.source is not None:
            self._load_positions()
        if key and p in self.key_positions:
            return self.key_positions[p]
        while p:
            if p in self.positions:
                return self.positions[p]
            if p in self.key_positions:
                return self.key_positions[p]
            p = p[:-1]
        return self.positions.get((), (self.line, self.column))


@dataclass
class ParsedFile:
    """What one file holds: its documents (empty ones left out) and the problems found reading it."""

    documents: list[Document]
    findings: list[Finding]


class _Frame:
    __slots__ = ("anchor", "container", "duplicate", "expect_key", "key", "key_pos", "path", "pos", "size")

    def __init__(self, container: Any, path: Path, pos: Pos, anchor: str | None) -> None:
        self.container = container
        self.path = path
        self.pos = pos
        self.anchor = anchor
        self.size = 1
        self.expect_key = True
        self.key: Any = None
        self.key_pos: Pos = (0, 0)
        self.duplicate = False


class _DocBuilder:
    """Builds one document from events, recording positions and problems as it goes."""

    def __init__(self, file: str, index: int, pos: Pos) -> None:
        self.file = file
        self.index = index
        self.pos = pos
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.open_anchors: set[str] = set()
        self.expansion = 0
        self.root: Any = None
        self.has_root = False
        self.positions: dict[Path, Pos] = {}
        self.key_positions: dict[Path, Pos] = {}
        self.findings: list[Finding] = []
        self.fatal = False

    def problem(self, code: str, message: str, pos: Pos) -> None:
        self.findings.append(Finding(self.file, pos[0], pos[1], code, message))

    def _child_path(self) -> tuple[Path, bool]:
        if not self.stack:
            return (), False
        top = self.stack[-1]
        if isinstance(top.container, list):
            return (*top.path, len(top.container)), False
        if top.expect_key:
            return (*top.path, "<key>"), True
        return (*top.path, top.key), False

    def start(self, pos: Pos, container: Any, anchor: str | None) -> None:
        if len(self.stack) >= MAX_DEPTH:
            self.problem("yaml-too-deep", f"lists and mappings nested more than {MAX_DEPTH} levels deep: refused "
                         "(a record needs four); the rest of the file was not read", pos)
            raise _TooDeep
        path, _ = self._child_path()
        if anchor:
            self.open_anchors.add(anchor)
        self.stack.append(_Frame(container, path, pos, anchor))

    def end(self) -> None:
        frame = self.stack.pop()
        if frame.anchor:
            self.open_anchors.discard(frame.anchor)
            self.anchors[frame.anchor] = (frame.container, frame.size)
        self.emit(frame.container, frame.pos, frame.size, frame.path)

    def scalar(self, value: Any, pos: Pos, anchor: str | None) -> None:
        path, _ = self._child_path()
        if anchor:
            self.anchors[anchor] = (value, 1)
        self.emit(value, pos, 1, path)

    def alias(self, anchor: str, pos: Pos) -> None:
        path, _ = self._child_path()
        if anchor in self.open_anchors:
            self.problem("yaml-recursive-alias", "an alias (`*…`) refers to a node that contains it; "
                         "records cannot be recursive", pos)
            self.fatal = True
            self.emit(None, pos, 1, path)
            return
        if anchor not in self.anchors:
            self.problem("yaml-syntax", "an alias (`*…`) names no anchor (`&…`) defined before it", pos)
            self.fatal = True
            self.emit(None, pos, 1, path)
            return
        value, size = self.anchors[anchor]
        self.expansion += size
        if self.expansion > ALIAS_EXPANSION_LIMIT and not self.fatal:
            self.problem("yaml-alias-bomb", f"refused: aliases in this document would expand to more than "
                         f"{ALIAS_EXPANSION_LIMIT:,} values (an alias bomb?); write the values out instead", pos)
            self.fatal = True
        self.emit(value, pos, size, path)

    def emit(self, value: Any, pos: Pos, size: int, path: Path) -> None:
        if not self.stack:
            self.root, self.has_root = value, True
            self.positions[()] = pos
            return
        top = self.stack[-1]
        top.size += size
        if isinstance(top.container, list):
            top.container.append(value)
            self.positions[path] = pos
            return
        if top.expect_key:
            top.expect_key = False
            if isinstance(value, (dict, list)):
                self.problem("yaml-key", "a mapping key must be a plain value, not a mapping or a list", pos)
                self.fatal = True
                value = f"<complex key {len(top.container)}>"
            top.key, top.key_pos, top.duplicate = value, pos, False
            key_path = (*top.path, value)
            if value in top.container:
                first = self.key_positions.get(key_path, top.pos)
                from .models import FIELD_NAMES

                # a key the format does not define is the file's own text, which a message never repeats
                named = f" `{value}`" if isinstance(value, str) and value in FIELD_NAMES else ""
                self.problem("yaml-duplicate-key", f"duplicate key{named}: it is already set on line {first[0]}; a "
                             "key may appear once per mapping (the first one is kept)", pos)
                top.duplicate = True
            else:
                self.key_positions[key_path] = pos
            return
        top.expect_key = True
        if not top.duplicate:
            top.container[top.key] = value
            self.positions[path] = pos

    def document(self) -> Document | None:
        if self.fatal or not self.has_root or self.root is None:
            return None
        line, column = self.positions[()]
        return Document(self.root, self.index, line, column, self.positions, self.key_positions)


def _pos(mark: Any) -> Pos:
    return (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)


def _line_col(text: str, index: int) -> Pos:
    before = text[:index]
    line = before.count("\n") + 1
    return line, index - (before.rfind("\n") + 1) + 1


def decode(raw: bytes, file: str) -> tuple[str | None, list[Finding]]:
    """Text of a record file, or the finding that says why it is not UTF-8 YAML text."""
    if b"\x00" in raw:
        nul = raw.index(b"\x00")
        line = raw.count(b"\n", 0, nul) + 1
        return None, [Finding(file, line, nul - (raw.rfind(b"\n", 0, nul) + 1) + 1, "binary-file",
                              "the file holds binary data (a NUL byte), not YAML text; keep binary evidence "
                              "under evidence/ and point at it from a document's `files`")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        col = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        return None, [Finding(file, line, col, "not-utf8", f"byte 0x{raw[e.start]:02x} is not UTF-8; "
                              "save the file as UTF-8")]
    return text, []


def parse_text(text: str, file: str) -> ParsedFile:
    """Parse every document of `text`; never raises on bad YAML."""
    from ruamel.yaml import YAML
    from ruamel.yaml import events as ev

    findings: list[Finding] = []
    documents: list[Document] = []
    builder: _DocBuilder | None = None
    saw_document = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for event in YAML(typ="safe", pure=True).parse(text):
                pos = _pos(event.start_mark)
                if isinstance(event, ev.DocumentStartEvent):
                    builder = _DocBuilder(file, len(documents), pos)
                    saw_document = True
                elif builder is None:
                    continue
                elif isinstance(event, ev.ScalarEvent):
                    try:
                        if event.tag is None and event.style is None:
                            value: Any = resolve_plain(event.value)
                        elif event.tag is None or event.tag == "!":
                            value = event.value
                        else:
                            value = _resolve_tagged(event.value, str(event.tag))
                    except _TagError as e:
                        builder.problem("yaml-tag", str(e), pos)
                        value = event.value
                    builder.scalar(value, pos, event.anchor)
                elif isinstance(event, ev.MappingStartEvent):
                    _check_collection_tag(builder, event.tag, "map", pos)
                    builder.start(pos, {}, event.anchor)
                elif isinstance(event, ev.SequenceStartEvent):
                    _check_collection_tag(builder, event.tag, "seq", pos)
                    builder.start(pos, [], event.anchor)
                elif isinstance(event, (ev.MappingEndEvent, ev.SequenceEndEvent)):
                    builder.end()
                elif isinstance(event, ev.AliasEvent):
                    builder.alias(str(event.anchor), pos)
                elif isinstance(event, ev.DocumentEndEvent):
                    findings.extend(builder.findings)
                    doc = builder.document()
                    if doc is not None:
                        doc.index = len(documents)
                        documents.append(doc)
                    builder = None
    except _TooDeep:
        assert builder is not None
        findings.extend(builder.findings)
        return ParsedFile(documents, findings)
    except Exception as e:  # noqa: BLE001 - any parser failure is a finding about this file
        if builder is not None:
            findings.extend(builder.findings)
        findings.append(_syntax_finding(e, text, file))
        return ParsedFile(documents, findings)
    if not documents and not findings:
        what = "no record (only comments or empty documents)" if saw_document or text.strip() else "nothing"
        findings.append(Finding(file, 1, 1, "empty-file", f"the file holds {what}; write a record or delete the file"))
    return ParsedFile(documents, findings)


def _check_collection_tag(builder: _DocBuilder, tag: Any, name: str, pos: Pos) -> None:
    if tag is not None and str(tag) not in ("!", _TAG + name):
        builder.problem("yaml-tag", "an explicit tag (`!…`) that records do not use; write plain YAML values", pos)


# The parser quotes what it found: a character (`'\t'`), a token (`'<block end>'`), or a tag handle or an
# anchor, which is the file's text and is withheld.
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


def _withheld(match: re.Match[str]) -> str:
    kept = len(match.group(1)) <= 4 or re.fullmatch(r"<[a-z ]+>|\\[xuU][0-9a-f]{2,8}", match.group(1))
    return match.group(0) if kept else "'…'"


def _syntax_finding(e: Exception, text: str, file: str) -> Finding:
    # Only the parser's short descriptions are used: its snippets would echo the file's text,
    # which may hold what must not be printed.
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    if mark is not None:
        line, col = _pos(mark)
    elif isinstance(getattr(e, "position", None), int):
        line, col = _line_col(text, e.position)  # type: ignore[attr-defined]
    else:
        line, col = 1, 1
    problem = getattr(e, "problem", None)
    context = getattr(e, "context", None)
    if problem is None and type(e).__name__ == "ReaderError":
        problem = "a character that YAML does not allow in a document"
    parts = [_QUOTED.sub(_withheld, str(p)) for p in (problem, context) if p]
    if not parts:
        parts = [f"the parser stopped here ({type(e).__name__}); check indentation and quoting around this line"]
    from .yamlhints import syntax_hint

    opened = getattr(e, "context_mark", None)
    hint = syntax_hint(str(problem or ""), str(context or ""), text, line,
                       _pos(opened)[0] if opened is not None else None)
    return Finding(file, line, col, "yaml-syntax", f"invalid YAML: {'; '.join(parts)}" + (f": {hint}" if hint else ""))


def parse_bytes(raw: bytes, file: str) -> ParsedFile:
    """Decode and parse one file's bytes, recording every position (the precise path)."""
    text, findings = decode(raw, file)
    if text is None:
        return ParsedFile([], findings)
    return parse_text(text, file)


# The fast path: libyaml through PyYAML, with the YAML 1.2 core schema instead of PyYAML's 1.1.
# It takes only files it reads exactly as the precise path does, and hands every other file over:
# explicit tags, anchors and aliases (alias bombs), duplicate or complex keys, anything it rejects.
_NEEDS_PRECISE = re.compile(r"(?:^|[\s\[\]{},:?-])[!&*]")


class _Fallback(Exception):
    pass


@functools.cache
def _fast_loader() -> type:
    """libyaml's loader with the YAML 1.2 core schema, made once: a class, built on first use."""
    import yaml

    class FastLoader(yaml.CSafeLoader):
        def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
            # Files with explicit tags never come this way, so every tag is implicit: `_to_data` resolves
            # plain scalars itself, by the core schema, which costs less than asking for a tag.
            return ""

        def descend_resolver(self, current_node: Any, current_index: Any) -> None:
            pass  # no path resolvers: nothing to track

        def ascend_resolver(self) -> None:
            pass

    return FastLoader


def _to_data(node: Any, scalar: Any, mapping: Any, depth: int = 0) -> Any:
    cls = node.__class__
    if cls is scalar:
        return node.value if node.style else resolve_plain(node.value)  # libyaml's plain style is ''
    if depth >= MAX_DEPTH:
        raise _Fallback  # the precise path says where
    if cls is mapping:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.__class__ is not scalar:
                raise _Fallback
            key = key_node.value if key_node.style else resolve_plain(key_node.value)
            if key in out:
                raise _Fallback
            out[key] = _to_data(value_node, scalar, mapping, depth + 1)
        return out
    return [_to_data(item, scalar, mapping, depth + 1) for item in node.value]




def _libyaml_positions(text: str, index: int) -> tuple[dict[Path, Pos], dict[Path, Pos]] | None:
    """The positions of every value and key of document `index` of `text`, as the precise parser records them,
    from libyaml's nodes; None when libyaml does not read the text as the fast path does."""
    import yaml

    loader = _fast_loader()(text)
    scalar, mapping = yaml.ScalarNode, yaml.MappingNode
    try:
        seen = 0
        while loader.check_node():
            node = loader.get_node()
            if node is None or (node.__class__ is scalar and not node.style and resolve_plain(node.value) is None):
                continue
            if seen == index:
                positions: dict[Path, Pos] = {}
                keys: dict[Path, Pos] = {}
                _walk_nodes(node, (), positions, keys, scalar, mapping, 0)
                return positions, keys
            seen += 1
    except Exception:  # noqa: BLE001 - the precise parser, which reads anything, says where instead
        return None
    finally:
        loader.dispose()
    return None


def _walk_nodes(node: Any, path: Path, positions: dict[Path, Pos], keys: dict[Path, Pos], scalar: Any,
                mapping: Any, depth: int) -> None:
    if node.__class__ is scalar:
        if not node.value and not node.style:
            raise _Fallback  # an empty value: the two parsers place it differently, and only the precise one counts
        positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        return
    positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if depth >= MAX_DEPTH:
        raise _Fallback
    if node.__class__ is mapping:
        for key_node, value_node in node.value:
            if key_node.__class__ is not scalar:
                raise _Fallback
            key = key_node.value if key_node.style else resolve_plain(key_node.value)
            if (*path, key) in keys:
                raise _Fallback
            keys[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _walk_nodes(value_node, (*path, key), positions, keys, scalar, mapping, depth + 1)
        return
    for i, item in enumerate(node.value):
        _walk_nodes(item, (*path, i), positions, keys, scalar, mapping, depth + 1)


def fast_parse(raw: bytes, file: str) -> ParsedFile | None:
    """The documents of a file by the fast path, or None when the file needs the precise one."""
    if b"\x00" in raw:
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if ("!" in text or "&" in text or "*" in text) and _NEEDS_PRECISE.search(text):
        return None
    import yaml

    loader = _fast_loader()(text)
    documents: list[Document] = []
    source = (file, text)
    scalar, mapping = yaml.ScalarNode, yaml.MappingNode
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None or (node.__class__ is scalar and not node.style and resolve_plain(node.value) is None):
                continue
            data = _to_data(node, scalar, mapping)
            mark = node.start_mark
            documents.append(Document(data, len(documents), mark.line + 1, mark.column + 1, source=source))
    except Exception:  # noqa: BLE001 - whatever libyaml or the checks above refuse, the precise path explains
        return None
    finally:
        loader.dispose()
    return ParsedFile(documents, []) if documents else None
