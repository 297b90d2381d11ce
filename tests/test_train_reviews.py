"""`nazar train --include-reviews` learns from reviewers' decisions stored by the service."""

from __future__ import annotations

import json

from sqlalchemy import select

from nazar.cli import main
from nazar.monitor.ingest import get_or_create_source, ingest
from nazar.monitor.review import Decision, decide, reviewed_examples
from nazar.monitor.sources import IncomingItem
from nazar.store.db import connect
from nazar.store.models import Item


def test_reviewed_items_become_training_rows_with_the_reviewers_label(tmp_path, capsys):
    sessions = connect()  # $NAZAR_HOME is a fresh folder for each test
    with sessions() as session:
        source = get_or_create_source(session, "s")
        ingest(
            session,
            source,
            [IncomingItem(f"{i}", f"reviewed text number {i}", None) for i in range(3)],
        )
        items = list(session.scalars(select(Item).order_by(Item.id)))
        for item in items:
            item.state, item.label, item.score, item.flagged, item.lang = (
                "scored",
                "violent_extremist",
                0.9,
                True,
                "en",
            )
        session.commit()
        decide(session, items[0], "r", Decision("reject", label="news"))
        decide(session, items[1], "r", Decision("confirm"))
        rows = reviewed_examples(session)
    assert sorted((r["text"], r["label"]) for r in rows) == [
        ("reviewed text number 0", "news"),
        ("reviewed text number 1", "violent_extremist"),
    ]

    labelled = tmp_path / "train.jsonl"
    texts = {
        "violent_extremist": "join the fighters of the state and take up arms",
        "news": "the ministry said on monday that talks would continue",
        "religious": "may god accept our prayers and fasting this ramadan",
        "counter_narrative": "i came back from syria and the recruiters lied to us",
        "other": "the football match ended in a draw last night",
    }
    with labelled.open("w") as f:
        for i in range(12):
            for label, text in texts.items():
                f.write(json.dumps({"text": f"{text} {i}", "label": label, "lang": "en"}) + "\n")
    out = tmp_path / "model.npz"
    assert main(["train", str(labelled), "--include-reviews", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "on 62 texts" in printed  # 60 from the file + 2 reviewed
    assert out.exists()
