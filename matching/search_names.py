"""What a person is found by: every name their records give, folded, and a query folded alike.

A person's ``search_names`` holds the distinct folded forms (``names.fold_name``) of all their
records' names, joined by ``SEPARATOR``; the full-text index covers that property, so a person
recorded once as "J. PRASETYO" and once as "DJOKO PRASETYO" is found by either. A query is
folded the same way and split into words, each with the forms it may take: the folded word;
the word with J read as the old spelling of Y (the one old mark folding cannot undo, since J
is also today's J: "PRASETJO" is PRASETYO); and for a lone "M" that folding took for Muhammad,
the initial M too. A one-letter form is an initial: it fits any name word that starts with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from matching.names import fold_name

# Between the folded names of one person; graph_schema's search statement splits on it.
SEPARATOR = " | "
_LONE_M = re.compile(r"(?:^|[^A-Z])M(?:[^A-Z]|$)")


def search_names(frame: pd.DataFrame, key: str = "person_id", column: str = "name") -> pd.Series:
    """Per ``key``, the distinct folded names of its rows' ``column``, sorted, joined by ``SEPARATOR``.

    Keys whose rows have no name that folds to anything are absent.
    """
    names = frame[[key, column]].dropna()
    if names.empty:
        return pd.Series(dtype=object)
    folded = {name: fold_name(name) for name in names[column].unique()}
    pairs = pd.DataFrame({key: names[key], "folded": names[column].map(folded)}).dropna().drop_duplicates()
    pairs = pairs.sort_values([key, "folded"])
    return pairs.groupby(key, sort=False)["folded"].agg(SEPARATOR.join)


@dataclass(frozen=True)
class NameQuery:
    """A searched name: per word, in order, the forms it may take (a one-letter form is an initial)."""

    words: tuple[tuple[str, ...], ...]

    @property
    def searchable(self) -> list[list[str]]:
        """The words a full-text index can look up: those that cannot be an initial.

        Each comes with its forms and its own initial, which finds names that abbreviate it.
        """
        out = []
        for forms in self.words:
            if all(len(form) > 1 for form in forms):
                out.append([*forms, forms[0][0]])
        return out

    def as_params(self) -> list[list[str]]:
        return [list(forms) for forms in self.words]


def name_query(text: str) -> NameQuery | None:
    """The query for a name as a user types it, or None when no name is left after folding."""
    folded = fold_name(text)
    if folded is None:
        return None
    words = folded.split(" ")
    as_y = fold_name(text.upper().replace("J", "Y"))  # every J: "DJAH" may be DYAH as well as JAH
    y_words = as_y.split(" ") if as_y else []
    lone_m = _LONE_M.search(text.upper().replace(".", " ")) is not None
    out = []
    for i, word in enumerate(words):
        forms = [word]
        if len(word) > 1 and len(y_words) == len(words) and y_words[i] != word:
            forms.append(y_words[i])
        if lone_m and word == "MUHAMMAD":
            forms.append("M")
        out.append(tuple(forms))
    return NameQuery(tuple(out))
