"""Which of a person's fields a request selected: what the audit log records.

Read from graphql-core's syntax tree rather than strawberry's ``info.selected_fields``, which
converts the whole subtree into new objects on every call (a tenth of a full history's
execution time). The answer depends only on the query text, and the parser cache hands out
the same tree for the same text, so it is computed once per field node.
"""

from __future__ import annotations

from collections import OrderedDict

from graphql import FieldNode, FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode

from resolvers.context import Info

CACHE_SIZE = 1024
Fragments = dict[str, FragmentDefinitionNode]
# (ids of the field nodes, under) -> (the nodes, so that a recycled id is noticed; the answer)
_cache: OrderedDict[tuple[tuple[int, ...], tuple[str, ...]], tuple[tuple[FieldNode, ...], list[str]]] = OrderedDict()


def _fields(selection_set: SelectionSetNode | None, fragments: Fragments) -> list[FieldNode]:
    """The fields of a selection set, fragments spread (``__typename`` left out)."""
    out: list[FieldNode] = []
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            if selection.name.value != "__typename":
                out.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            out.extend(_fields(selection.selection_set, fragments))
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            out.extend(_fields(fragments[selection.name.value].selection_set, fragments))
    return out


def _names(nodes: list[FieldNode], under: tuple[str, ...], fragments: Fragments) -> list[str]:
    level = [field for node in nodes for field in _fields(node.selection_set, fragments)]
    for step in under:
        level = [child for field in level if field.name.value == step
                 for child in _fields(field.selection_set, fragments)]
    out: set[str] = set()
    for field in level:
        children = _fields(field.selection_set, fragments)
        # One level of detail: "identity.nik", "household.members".
        if children:
            out.update(f"{field.name.value}.{c.name.value}" for c in children)
        else:
            out.add(field.name.value)
    return sorted(out)


def selected_fields(info: Info, *under: str) -> list[str]:
    """Field names selected below the current field (optionally below ``under``, e.g. edges.node).

    A field the query selects twice under one response name (``person(...) { a } person(...) { b }``)
    is resolved once with both selections merged: every one of them counts.
    """
    raw = info._raw_info  # graphql-core's info: strawberry exposes the tree only as converted copies
    nodes = raw.field_nodes
    key = (tuple(id(node) for node in nodes), under)
    hit = _cache.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], nodes, strict=True)):
        _cache.move_to_end(key)
        return hit[1]
    names = _names(list(nodes), under, raw.fragments)
    _cache[key] = (tuple(nodes), names)
    if len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return names
