"""Counter-narrative material and how to suggest it for a flagged post.

``nazar.counter.catalogue``: the ``CounterItem`` type, its validation, JSONL/CSV files and the
starter catalogue shipped with the package (standard library only, re-exported here).
``nazar.counter.suggest``: ranking catalogue items for a post by the narratives (themes) they
answer, the reader's language and closeness in content (``from nazar.counter.suggest import
suggest, Suggester``; not re-exported, so importing this package stays free of numpy).
"""

from nazar.counter.catalogue import (
    CatalogueError,
    CounterItem,
    dump_csv,
    dump_jsonl,
    load_catalogue,
    load_catalogue_csv,
    load_catalogue_jsonl,
    starter_catalogue,
)

__all__ = [
    "CatalogueError",
    "CounterItem",
    "dump_csv",
    "dump_jsonl",
    "load_catalogue",
    "load_catalogue_csv",
    "load_catalogue_jsonl",
    "starter_catalogue",
]
