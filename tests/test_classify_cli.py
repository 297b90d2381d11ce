"""`nazar classify` end to end with the shipped model: the output contract and bad input."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from nazar.cli import main
from nazar.types import LABELS, THEMES

CONTRACT = {
    "id",
    "label",
    "flagged",
    "score",
    "scores",
    "lang",
    "themes",
    "evidence",
    "model",
    "input",
}


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict], str]:
    code = main(args)
    out, err = capsys.readouterr()
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    return code, rows, err


def test_contract_order_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "posts.jsonl"
    lines = [
        {
            "id": "p1",
            "text": "Brothers, make hijra to the Khilafah and give bay'ah to the Amir!",
            "user": "x",
        },
        '{"id": "broken", "text": ',
        {"id": "p3", "text": "Great match tonight, what a goal!"},
        {"id": "p4", "note": "no text field here"},
        {"text": "Суд приговорил жителя области к шести годам, сообщает пресс-служба."},
    ]
    f.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines)
        + "\n",
        "utf-8",
    )
    code, rows, err = run_cli(["classify", str(f)], capsys)
    assert code == 1  # two records could not be scored: the user must act
    assert [r["id"] for r in rows] == ["p1", "posts.jsonl:2", "p3", "p4", "posts.jsonl:5"]
    assert f"{f}:2" in err and "invalid JSON" in err
    scored = [rows[0], rows[2], rows[4]]
    for r in scored:
        assert set(r) >= CONTRACT
        assert r["label"] in LABELS
        assert set(r["scores"]) == set(LABELS)
        assert abs(sum(r["scores"].values()) - 1.0) < 1e-3
        assert r["score"] == r["scores"]["violent_extremist"]
        assert r["flagged"] == (r["label"] == "violent_extremist")
        assert all(t in THEMES for t in r["themes"])
        assert r["model"].startswith("nazar-ngram-")
    assert rows[0]["input"] == {"user": "x"}
    assert rows[0]["flagged"] and rows[0]["lang"] == "en"
    assert not rows[2]["flagged"]
    assert rows[4]["lang"] == "ru" and not rows[4]["flagged"]
    assert "invalid JSON" in rows[1]["error"] and rows[1]["label"] is None
    assert "no text field" in rows[3]["error"] and rows[3]["input"] == {
        "note": "no text field here"
    }


def test_evidence_points_into_the_original_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "RT @abc: Our brother, may Allah accept him, struck the apostates. The D a e s h will remain!"
    f = tmp_path / "one.txt"
    f.write_text(text + "\n", "utf-8")
    code, rows, _ = run_cli(["classify", str(f)], capsys)
    assert code == 0
    (row,) = rows
    assert row["flagged"]
    assert row["evidence"], "a flagged text must say why"
    for ev in row["evidence"]:
        assert text[ev["start"] : ev["end"]] == ev["text"]
        assert ev["why"]


def test_threshold_controls_flagging(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "t.txt"
    f.write_text(
        "hello there, how was the weekend?\nJoin the caliphate, pledge bay'ah now!\n", "utf-8"
    )
    _, everything, _ = run_cli(["classify", str(f), "--threshold", "0"], capsys)
    assert all(r["flagged"] and r["label"] == "violent_extremist" for r in everything)
    _, nothing, _ = run_cli(["classify", str(f), "--threshold", "1"], capsys)
    assert not any(r["flagged"] for r in nothing)
    assert all(r["label"] != "violent_extremist" for r in nothing)


@pytest.mark.parametrize(
    "args, message",
    [
        (["classify", "--threshold", "1.5"], "between 0 and 1"),
        (["classify", "--format", "xml"], "invalid choice"),
    ],
)
def test_bad_options_exit_2(args: list[str], message: str, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_missing_file_is_a_clear_error(tmp_path: Path, capsys) -> None:
    code, rows, err = run_cli(["classify", str(tmp_path / "nope.jsonl")], capsys)
    assert code == 2 and rows == []
    assert "cannot open" in err and "Traceback" not in err


def test_stdin_csv_and_output_file(tmp_path: Path, monkeypatch, capsys) -> None:
    data = "msg_id,message,channel\n1,Ораза айтыңыз құтты болсын!,a\n2,,b\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data.encode()), "utf-8"))
    out = tmp_path / "out" / "v.jsonl"
    code = main(
        [
            "classify",
            "--format",
            "csv",
            "--text-field",
            "message",
            "--id-field",
            "msg_id",
            "-o",
            str(out),
        ]
    )
    assert code == 1
    rows = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["1", "2"]
    assert rows[0]["lang"] == "kk" and rows[0]["input"] == {"channel": "a"}
    assert rows[1]["error"] == "text is empty"


def test_huge_text_is_truncated_with_a_warning(tmp_path: Path, capsys) -> None:
    f = tmp_path / "big.jsonl"
    f.write_text(json.dumps({"id": "big", "text": "word " * 2_100_000}) + "\n", "utf-8")
    code, rows, err = run_cli(["classify", str(f)], capsys)
    assert code == 0
    assert rows[0]["label"] in LABELS and "truncated" in rows[0]["warnings"][0]
    assert "truncated" in err


def test_quiet_in_pipes_and_streams(tmp_path: Path) -> None:
    """A real process in a pipe: no progress bar noise on stderr, JSONL on stdout."""
    exe = Path(sys.executable).parent / "nazar"
    proc = subprocess.run(
        [str(exe), "classify", "--format", "txt"],
        input="Jumu'ah mubarak, may Allah accept our prayers\n",
        capture_output=True,
        text=True,
        check=True,
    )
    row = json.loads(proc.stdout)
    assert row["label"] == "religious" and not row["flagged"]
    assert proc.stderr == ""


def test_short_and_letterless_texts_are_not_flagged(tmp_path: Path, capsys) -> None:
    f = tmp_path / "short.txt"
    f.write_text("hello\nok\nthanks\n:)\n12345\n\u200b\n👍👍\nhello world\n", "utf-8")
    code, rows, _ = run_cli(["classify", str(f)], capsys)
    assert code == 0 and len(rows) == 8
    assert not any(r["flagged"] for r in rows), [(r["id"], r["score"]) for r in rows]
    for r in rows[3:7]:  # no letters: nothing to judge
        assert r["label"] == "other" and r["score"] == 0.0


def test_output_over_an_input_is_refused(tmp_path: Path, capsys) -> None:
    f = tmp_path / "same.jsonl"
    f.write_text('{"id": 1, "text": "hello"}\n', "utf-8")
    code, _, err = run_cli(["classify", str(f), "-o", str(f)], capsys)
    assert code == 2 and "also an input" in err
    assert f.read_text("utf-8") == '{"id": 1, "text": "hello"}\n'


def test_hostile_json_rows_are_errors_not_tracebacks(tmp_path: Path, capsys) -> None:
    f = tmp_path / "hostile.jsonl"
    f.write_text(
        '{"id": "s", "text": "cut emoji \\ud83d here"}\n'
        '{"id": "nan", "text": "x", "n": NaN}\n'
        + '{"a": ' * 100_000
        + "\n"
        + '{"id": "big", "text": "y", "n": '
        + "9" * 5000
        + "}\n",
        "utf-8",
    )
    code, rows, err = run_cli(["classify", str(f)], capsys)
    assert code == 1 and "Traceback" not in err
    assert len(rows) == 4
    assert rows[0]["label"] and "surrogate" in rows[0]["warnings"][0]
    assert all("invalid JSON" in r["error"] for r in rows[1:])


def test_unterminated_csv_quote_is_reported(tmp_path: Path, capsys) -> None:
    f = tmp_path / "q.csv"
    f.write_text('id,text\n1,fine\n2,"never closed\n3,swallowed\n', "utf-8")
    code, rows, err = run_cli(["classify", str(f)], capsys)
    assert code == 1
    assert rows[0]["id"] == "1" and "error" not in rows[0]
    assert "broken CSV row" in rows[1]["error"]
    assert "q.csv" in err


def test_corrupt_model_is_a_clear_error(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a model")
    f = tmp_path / "t.txt"
    f.write_text("hello\n", "utf-8")
    code, _, err = run_cli(["classify", str(f), "--model", str(bad)], capsys)
    assert code == 2 and "cannot read the model" in err and "Traceback" not in err
