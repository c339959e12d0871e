"""Editing a YAML file's values in place: only the characters of what changes are rewritten, and the new text
is read back and compared with what was meant before anyone may write it.

A round-trip dump would rewrite every line of a file (alignment, quoting, comments moved); a line-based edit
destroys a record whose value is not where the lines say (a JSON record on one line). Here the parser's own
marks give the exact span of a value, the value is rendered anew into that span, and the result must parse,
without findings, to the old data with exactly the intended change, or the edit is refused.
"""

from __future__ import annotations

import copy
import itertools
import math
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .yamlio import parse_text, resolve_plain

Path = tuple[Any, ...]

_NO_KEY = object()  # a tagged key: matched by no path, so a path never lands on a value it may misread
_QUOTE_PLAIN = frozenset(("y", "n", "yes", "no", "on", "off"))  # YAML 1.1 booleans: other tools misread them
_SAFE_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_BARE_COLON = re.compile(r"[ \t]*:[ \t]*\r?\n\Z")  # a key's line that holds nothing after its `:`


class EditRefused(Exception):
    """The file cannot be edited safely. The message names the file and the reason, never a value."""


@dataclass
class Node:
    """One node of a YAML document: its kind, its span in the text and how it is written."""

    kind: str  # "scalar", "mapping", "sequence" or "alias"
    start: int
    end: int
    line: int  # 1-based, as yamlio's positions
    column: int
    style: str | None = None  # a scalar's style (None: plain); "flow" or "block" for a collection
    anchor: str | None = None
    tag: str | None = None
    key: Any = None  # what the scalar means as a mapping key
    children: list[Node] = field(default_factory=list)  # a mapping's keys and values, alternating

    def pairs(self) -> list[tuple[Node, Node]]:
        """A mapping's (key, value) nodes."""
        return list(zip(self.children[0::2], self.children[1::2]))


@dataclass
class _Doc:
    root: Node
    end: int  # where an explicit `...` starts, else -1


def _tree(text: str) -> list[_Doc]:
    """The node tree of every document, with spans; only for text that parse_text reads without findings."""
    from ruamel.yaml import YAML
    from ruamel.yaml import events as ev

    docs: list[_Doc] = []
    stack: list[Node] = []
    root: Node | None = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for event in YAML(typ="safe", pure=True).parse(text):
            start, end = event.start_mark, event.end_mark
            node: Node | None = None
            if isinstance(event, ev.DocumentStartEvent):
                stack, root = [], None
            elif isinstance(event, ev.DocumentEndEvent):
                if root is not None:
                    docs.append(_Doc(root, start.index if end.index > start.index else -1))
            elif isinstance(event, ev.ScalarEvent):
                tag = None if event.tag in (None, "!") else str(event.tag)
                key = resolve_plain(event.value) if tag is None and event.style is None else \
                    event.value if tag is None else _NO_KEY
                node = Node("scalar", start.index, end.index, start.line + 1, start.column + 1, event.style,
                            event.anchor, tag, key)
            elif isinstance(event, ev.AliasEvent):
                node = Node("alias", start.index, end.index, start.line + 1, start.column + 1, key=_NO_KEY)
            elif isinstance(event, (ev.MappingStartEvent, ev.SequenceStartEvent)):
                kind = "mapping" if isinstance(event, ev.MappingStartEvent) else "sequence"
                tag = None if event.tag in (None, "!") else str(event.tag)
                node = Node(kind, start.index, end.index, start.line + 1, start.column + 1,
                            "flow" if event.flow_style else "block", event.anchor, tag, _NO_KEY)
            elif isinstance(event, (ev.MappingEndEvent, ev.SequenceEndEvent)):
                stack.pop().end = end.index  # exact for a flow collection (`}`); a block one ends at the next token
            if node is not None:
                if stack:
                    stack[-1].children.append(node)
                else:
                    root = node
                if node.kind in ("mapping", "sequence"):
                    stack.append(node)
    return docs


def _refuse(file: str, why: str) -> EditRefused:
    return EditRefused(f"{file}: {why}; the file was not changed")


def _parse_clean(text: str, file: str) -> list[Any]:
    """The documents' data, or a refusal when the file has any problem a reader would report."""
    parsed = parse_text(text, file)
    if parsed.findings:
        first = parsed.findings[0]
        raise _refuse(file, f"it cannot be edited safely while it has problems (line {first.line}: "
                            f"{first.code}); fix it first (`ledger check` says how)")
    return [doc.data for doc in parsed.documents]


def _docs(text: str, file: str, data: list[Any]) -> list[_Doc]:
    docs = _tree(text)
    # a document that reads as null (empty, or only comments) is in the tree, not in the data
    docs = [d for d in docs if not (d.root.kind == "scalar" and d.root.style is None and d.root.tag is None
                                    and d.root.key is None)]
    if len(docs) != len(data):
        raise _refuse(file, "its documents could not be matched up")
    return docs


def _find(file: str, root: Node, path: Path) -> tuple[Node | None, Node]:
    """The key node (None for the root) and the value node at `path`."""
    key: Node | None = None
    node = root
    for part in path:
        if node.anchor or node.tag or node.kind == "alias":
            raise _refuse(file, f"`{_dotted(path)}` is reached through an anchor, an alias or a tag")
        if node.kind == "mapping":
            found = [(k, v) for k, v in node.pairs() if type(k.key) is type(part) and k.key == part]
            if len(found) != 1:
                raise _refuse(file, f"`{_dotted(path)}` was not found exactly once")
            key, node = found[0]
        elif node.kind == "sequence" and isinstance(part, int) and 0 <= part < len(node.children):
            key, node = None, node.children[part]
        else:
            raise _refuse(file, f"`{_dotted(path)}` was not found")
    return key, node


def _dotted(path: Path) -> str:
    return ".".join(str(p) for p in path) or "(document)"


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def double_quoted(value: str) -> str:
    """`value` as a YAML double-quoted scalar on one line: line breaks and anything unprintable escaped."""
    out = ['"']
    for c in value:
        o = ord(c)
        if c in '"\\':
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif 0x20 <= o < 0x7F or (o >= 0xA0 and c.isprintable() and c != "\ufeff"):
            out.append(c)
        elif o <= 0xFF:
            out.append(f"\\x{o:02x}")
        elif o <= 0xFFFF:
            out.append(f"\\u{o:04x}")
        else:  # not a JSON surrogate pair: YAML reads \U escapes only
            out.append(f"\\U{o:08x}")
    out.append('"')
    return "".join(out)


def plain_or_quoted(value: str) -> str:
    """`value` plain when every YAML reader takes it for this text, else double-quoted."""
    if _SAFE_PLAIN.match(value) and resolve_plain(value) == value and value.lower() not in _QUOTE_PLAIN:
        return value
    return double_quoted(value)


def _literal_fits(value: str) -> bool:
    """True when a literal block reads back as exactly `value`: printable lines, and a first line that does
    not start with a space (which would shift the block's indentation)."""
    if not value.strip("\n") or value.lstrip("\n")[0] in " \t":
        return False
    return all(c in "\n\t" or (c.isprintable() and c != "\ufeff") for c in value)


def _render_block(text: str, node: Node, key: Node | None, value: str) -> str:
    """The replacement of a block scalar's span (`|…` or `>…` up to and with its last line break)."""
    nl = _newline(text)
    span = text[node.start:node.end]
    header, _, body = span.partition("\n")
    lines = body.splitlines(keepends=True)
    tail = ""
    while lines and not lines[-1].strip():  # blank lines after the content: keep them where they are
        tail = lines.pop() + tail
    if node.style == "|" and _literal_fits(value):
        header = header.rstrip("\r")
        rest = header[1:].lstrip("+-0123456789")  # the indicators go; a comment after them stays
        chomp = "-" if not value.endswith("\n") else "+" if value.endswith("\n\n") else ""
        written = [line for line in lines if line.strip()]
        if written:
            indent = " " * (len(written[0]) - len(written[0].lstrip(" ")))
        else:
            base = key.column - 1 if key is not None else node.start - _line_start(text, node.start)
            indent = " " * (base + 2)
        content = value.removesuffix("\n")
        rendered = nl.join(indent + line if line else "" for line in content.split("\n"))
        return "|" + chomp + rest + nl + rendered + nl + ("" if chomp == "+" else tail)
    return double_quoted(value) + nl + tail


def _render_scalar(text: str, node: Node, key: Node | None, value: str, keep_style: bool = False) -> str:
    if node.style in ("|", ">"):
        return _render_block(text, node, key, value)
    if keep_style:
        if node.style is None and plain_or_quoted(value) == value:
            return value
        if node.style == "'" and "'" not in value and double_quoted(value) == f'"{value}"':
            return f"'{value}'"
    return double_quoted(value)


def same_data(a: Any, b: Any) -> bool:
    """Equal data, with the same types (1, 1.0 and true are not the same value in a record)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_data(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_data(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def verify(new_text: str, file: str, expected: list[Any]) -> None:
    """Refuse unless `new_text` reads, without findings, as exactly the documents `expected`."""
    parsed = parse_text(new_text, file)
    if parsed.findings or len(parsed.documents) != len(expected) or \
            not all(same_data(doc.data, want) for doc, want in zip(parsed.documents, expected)):
        raise _refuse(file, "the edited text did not read back as intended")


def _apply(text: str, spans: list[tuple[int, int, str]], file: str) -> str:
    spans = sorted(spans)
    for (_, end, _), (start, _, _) in itertools.pairwise(spans):
        if start < end:
            raise _refuse(file, "two of the values to change overlap")
    for start, end, new in reversed(spans):
        text = text[:start] + new + text[end:]
    return text


def _set_in(data: Any, path: Path, value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def _get_in(data: Any, path: Path) -> Any:
    for part in path:
        data = data[part]
    return data


def replace_values(text: str, file: str, changes: Mapping[tuple[int, Path], str],
                   expect: Mapping[tuple[int, Path], str] | None = None, keep_style: bool = False) -> str:
    """`text` with the text values at (document index, path) replaced, every other character kept.

    A literal block stays a literal block at its indentation; any other value is written double-quoted on
    one line, which is valid in block and flow context alike; with `keep_style`, a plain or single-quoted value
    stays so when the new one can be written so (an id renamed). `expect`, when given, holds the values the
    caller read: a value that differs now (the file changed meanwhile) is refused. The new text is verified
    to read as the old documents with exactly these values changed; EditRefused otherwise.
    """
    data = _parse_clean(text, file)
    docs = _docs(text, file, data)
    spans = []
    expected = copy.deepcopy(data)
    for (index, path), value in changes.items():
        if not path or not 0 <= index < len(docs):
            raise _refuse(file, f"`{_dotted(path)}` was not found")
        key, node = _find(file, docs[index].root, path)
        if node.kind != "scalar" or node.anchor or node.tag:
            raise _refuse(file, f"`{_dotted(path)}` is not a plain text value (an alias, an anchor, a tag or a "
                                "collection)")
        if expect is not None and _get_in(data[index], path) != expect.get((index, path)):
            raise _refuse(file, f"`{_dotted(path)}` changed while it was being edited")
        spans.append((node.start, node.end, _render_scalar(text, node, key, value, keep_style)))
        _set_in(expected[index], path, value)
    new_text = _apply(text, spans, file)
    verify(new_text, file, expected)
    return new_text


def set_entry(text: str, file: str, path: Path, key: str, value: str | None) -> str:
    """`text` with the entry `key` of the mapping at `path` (in the first document) set to the text `value`,
    or taken out with None; only the lines that must change are touched.

    In a block mapping one line is added or removed (the last entry takes a bare `key:` line above it
    along, else leaves `{}`); a flow mapping or a null is written anew as a flow mapping; a missing mapping
    is appended as a block at the end of the document. The new text is verified to read as the old data with
    exactly this change; EditRefused otherwise.
    """
    data = _parse_clean(text, file)
    if len(data) != 1 or not path:
        raise _refuse(file, "it must hold exactly one document")
    doc = _docs(text, file, data)[0]
    parent_node = _find(file, doc.root, path[:-1])[1]
    if parent_node.kind != "mapping" or parent_node.anchor or parent_node.tag:
        raise _refuse(file, f"`{_dotted(path[:-1])}` is not a plain mapping")
    expected = copy.deepcopy(data)
    parent = _get_in(expected[0], path[:-1])
    current = parent.get(path[-1])
    if current is not None and not isinstance(current, dict):
        raise _refuse(file, f"`{_dotted(path)}` is not a mapping")
    mapping = dict(current or {})
    if value is None:
        mapping.pop(key, None)
    else:
        mapping[key] = value
    parent[path[-1]] = mapping
    found = [(k, v) for k, v in parent_node.pairs() if type(k.key) is type(path[-1]) and k.key == path[-1]]
    if not found:
        if value is None:
            raise _refuse(file, f"`{_dotted(path)}` is not there")
        new_text = _append_entry(text, file, doc, parent_node, path[-1], mapping)
    else:
        name_node, node = found[0]
        if node.anchor or node.tag or node.kind not in ("scalar", "mapping"):
            raise _refuse(file, f"`{_dotted(path)}` is written with an anchor, an alias or a tag")
        if node.kind == "scalar":
            if node.key is not None or node.style is not None:
                raise _refuse(file, f"`{_dotted(path)}` is not a mapping")
            new_text = _replace_null(text, file, name_node, node, mapping, _json_style(parent_node))
        elif node.style == "flow":
            flow = _flow(file, mapping, _json_style(node) or _json_style(parent_node))
            new_text = text[:node.start] + flow + text[node.end:]
        else:
            new_text, dropped = _edit_block(text, file, name_node, node, key, value)
            if dropped:
                del parent[path[-1]]
    verify(new_text, file, expected)
    return new_text


def _json_style(mapping: Node) -> bool:
    """True when the mapping's keys are double-quoted, as in JSON: new keys follow suit."""
    return bool(mapping.children) and mapping.children[0].style == '"'


def _flow(file: str, mapping: Mapping[str, Any], json_style: bool) -> str:
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise _refuse(file, "only a mapping of text to text can be written anew")
    render = double_quoted if json_style else plain_or_quoted
    return "{" + ", ".join(f"{render(k)}: {render(v)}" for k, v in mapping.items()) + "}"


def _after_colon(text: str, file: str, name_node: Node) -> int:
    """Where the value of `name_node`'s entry may begin: just after its `:`."""
    i = name_node.end
    while i < len(text) and text[i] in " \t":
        i += 1
    if i >= len(text) or text[i] != ":":
        raise _refuse(file, "the key's `:` was not where it was expected")
    return i + 1


def _replace_null(text: str, file: str, name_node: Node, node: Node, mapping: Mapping[str, Any],
                  json_style: bool) -> str:
    flow = _flow(file, mapping, json_style)
    if node.start == node.end:  # nothing written after the key: the empty value's marks point past it
        at = _after_colon(text, file, name_node)
        return text[:at] + " " + flow + text[at:]
    return text[:node.start] + flow + text[node.end:]


def _entry_lines(text: str, file: str, key: Node, value: Node) -> tuple[int, int]:
    """The span of the whole lines an entry of a block mapping is written on."""
    start = _line_start(text, key.start)
    if text[start:key.start].strip(" "):
        raise _refuse(file, "an entry does not start its own line")
    if value.kind != "scalar" or value.style in ("|", ">"):
        raise _refuse(file, "an entry's value is not written on the entry's line")
    eol = text.find("\n", value.end)
    rest = text[value.end:len(text) if eol < 0 else eol].strip()
    if rest and not rest.startswith("#"):
        raise _refuse(file, "something follows an entry on its line")
    return start, len(text) if eol < 0 else eol + 1


def _edit_block(text: str, file: str, name_node: Node, node: Node, key: str,
                value: str | None) -> tuple[str, bool]:
    """The text with the entry added, changed or removed; and whether the mapping's key went with its last
    entry."""
    nl = _newline(text)
    pairs = node.pairs()
    found = [(k, v) for k, v in pairs if type(k.key) is str and k.key == key]
    if value is None:
        if not found:
            raise _refuse(file, "there is no such entry")
        start, end = _entry_lines(text, file, *found[0])
        if len(pairs) == 1:  # without entries the key would read as null, not as an empty mapping
            header = _line_start(text, name_node.start)
            if not text[header:name_node.start].strip(" ") and _BARE_COLON.match(text[name_node.end:start]):
                # a bare `key:` line right above: both lines go, as they came (the inverse of adding the block)
                return text[:header] + text[end:], True
            text = text[:start] + text[end:]
            at = _after_colon(text, file, name_node)
            return text[:at] + " {}" + text[at:], False
        return text[:start] + text[end:], False
    if found:
        old = found[0][1]
        if old.kind != "scalar" or old.style in ("|", ">") or old.anchor or old.tag:
            raise _refuse(file, "the entry's value is not a plain text value")
        return text[:old.start] + plain_or_quoted(value) + text[old.end:], False
    first = pairs[0][0]
    indent = text[_line_start(text, first.start):first.start]
    if indent.strip(" "):
        raise _refuse(file, "the mapping's first entry does not start its own line")
    _, end = _entry_lines(text, file, *pairs[-1])
    line = f"{indent}{plain_or_quoted(key)}: {plain_or_quoted(value)}{nl}"
    if end == len(text) and text and not text.endswith("\n"):
        line = nl + line
    return text[:end] + line + text[end:], False


def _append_entry(text: str, file: str, doc: _Doc, parent: Node, name: Any, mapping: Mapping[str, Any]) -> str:
    """`text` with `name: mapping` added as the last entry of the mapping `parent`."""
    nl = _newline(text)
    if not isinstance(name, str):
        raise _refuse(file, "the key to add is not text")
    json_style = _json_style(parent)
    if parent.style == "flow":
        flow = f"{double_quoted(name) if json_style else plain_or_quoted(name)}: {_flow(file, mapping, json_style)}"
        if parent.children:  # a flow node's end mark is exact: just after its last character
            at = parent.children[-1].end
            return text[:at] + ", " + flow + text[at:]
        return text[:parent.start + 1] + flow + text[parent.start + 1:]
    # a block mapping grows at the end of the file, unless it is not the document's last (nested) mapping or
    # an explicit `...` ends the document
    if not parent.children or doc.root is not parent or doc.end >= 0:
        raise _refuse(file, "there is no end of the document to add the entry at")
    first = parent.children[0]
    indent = text[_line_start(text, first.start):first.start]
    if indent.strip(" "):
        raise _refuse(file, "the mapping's first entry does not start its own line")
    block = [f"{indent}{plain_or_quoted(name)}:"]
    block += [f"{indent}  {plain_or_quoted(k)}: {plain_or_quoted(v)}" for k, v in mapping.items()]
    if not mapping:
        block = [f"{indent}{plain_or_quoted(name)}: {{}}"]
    prefix = nl if text and not text.endswith("\n") else ""
    return text + prefix + nl.join(block) + nl
