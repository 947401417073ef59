"""Which of a person's fields a request selected: what the audit log records."""

from __future__ import annotations

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from resolvers.context import Info


def _names(selections: list[Selection], path: str, out: list[str]) -> None:
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name == "__typename":
                continue
            name = f"{path}.{selection.name}" if path else selection.name
            if selection.selections and path == "":
                # One level of detail: "identity.nik", "household.members".
                for child in selection.selections:
                    if isinstance(child, SelectedField) and child.name != "__typename":
                        out.append(f"{name}.{child.name}")
                    elif isinstance(child, FragmentSpread | InlineFragment):
                        _names(child.selections, name, out)
            else:
                out.append(name)
        elif isinstance(selection, FragmentSpread | InlineFragment):
            _names(selection.selections, path, out)


def selected_fields(info: Info, *under: str) -> list[str]:
    """Field names selected below the current field (optionally below ``under``, e.g. edges.node)."""
    selections: list[Selection] = list(info.selected_fields[0].selections) if info.selected_fields else []
    for step in under:
        nxt: list[Selection] = []
        for s in selections:
            if isinstance(s, SelectedField) and s.name == step:
                nxt.extend(s.selections)
        selections = nxt
    out: list[str] = []
    _names(selections, "", out)
    return sorted(set(out))
