"""The v2 filter/sort language, checked against a real SQLite index with the real schema."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from runicorn.errors import InvalidQueryError
from runicorn.storage.query import compile_filter, compile_sort, tokenize
from runicorn.storage.sql_utils import SCHEMA

NOV1 = dt.datetime(2026, 11, 1).timestamp()

RUNS: list[dict[str, Any]] = [
    {
        "id": "r1", "project": "vision", "name": "resnet50", "status": "finished",
        "created_at": NOV1 - 86400, "ended_at": NOV1 - 86400 + 100,
        "config": {"lr": 0.0003, "optimizer": {"name": "adam", "lr": 0.001}, "batch size": 32,
                   "amp": True, "layers": [64, 128], "seed": "42"},
        "summary": {"acc": 0.93, "loss": "NaN"}, "tags": ["baseline", "gpu"],
        "notes": "First try", "metrics": {"loss": (0.5, 0.4, 2.3, 120, 120)},
    },
    {
        "id": "r2", "project": "vision", "name": "vit", "status": "running",
        "created_at": NOV1 + 3600, "heartbeat_at": NOV1 + 3600 + 50,
        "config": {"lr": 0.01, "optimizer": "sgd", "it's": 1, "optimizer.momentum": 0.9},
        "summary": {"acc": 0.81, "loss": "Infinity"}, "tags": ["gpu"],
        "notes": "",
        "metrics": {"loss": (0.7, 0.6, 3.0, 50, 50), "val/loss": (0.8, 0.8, 0.9, 50, 5)},
    },
    {
        "id": "r3", "project": "nlp", "name": "bert", "status": "crashed",
        "created_at": NOV1 + 7200, "ended_at": None, "heartbeat_at": NOV1 + 7200 + 10,
        "config": {"lr": 0.001, "layers": ["a", "b"]},
        "summary": {"loss": 1.5}, "tags": [], "notes": "resnet comparison",
        "metrics": {},
    },
    {
        "id": "r4", "project": "nlp", "name": "gpt", "status": "failed",
        "created_at": None, "config": {}, "summary": {"acc": 0.99}, "tags": ["x'y"],
        "notes": "", "metrics": {"loss": (float("nan"), 0.1, 0.2, 10, 10)},
    },
]  # fmt: skip


@pytest.fixture
def db() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:")
    conn.executescript(SCHEMA)
    for run in RUNS:
        conn.execute(
            "INSERT INTO runs (id, project, name, path, status, created_at, ended_at, "
            "heartbeat_at, config, summary, tags, notes) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (run["id"], run["project"], run["name"], f"p/{run['id']}", run["status"],
             run["created_at"], run.get("ended_at"), run.get("heartbeat_at"),
             json.dumps(run["config"]), json.dumps(run["summary"]), json.dumps(run["tags"]),
             run["notes"]),
        )  # fmt: skip
        for tag in run["tags"]:
            conn.execute("INSERT INTO run_tags VALUES (?, ?)", (run["id"], tag))
        for key, (last, lo, hi, step, count) in run["metrics"].items():
            conn.execute(
                "INSERT INTO metrics (run_id, key, last, min, max, step, count) "
                "VALUES (?,?,?,?,?,?,?)",
                (run["id"], key, last, lo, hi, step, count),
            )
    yield conn
    conn.close()


def ids(conn: sqlite3.Connection, expr: str) -> list[str]:
    where, params = compile_filter(expr)
    rows = conn.execute(f"SELECT id FROM runs WHERE {where} ORDER BY id", params).fetchall()
    return [row[0] for row in rows]


def order(conn: sqlite3.Connection, expr: str) -> list[str]:
    clause = compile_sort(expr)
    return [row[0] for row in conn.execute(f"SELECT id FROM runs {clause}").fetchall()]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("", ["r1", "r2", "r3", "r4"]),
        ("status = running", ["r2"]),
        ("status == 'running'", ["r2"]),
        ("status != running", ["r1", "r3", "r4"]),
        ("status in (running, crashed)", ["r2", "r3"]),
        ('project = "vision"', ["r1", "r2"]),
        ("name contains RES or project = nlp", ["r1", "r3", "r4"]),
        ("notes contains resnet", ["r3"]),
        ("config.lr < 1e-3", ["r1"]),
        ("config.lr <= 1e-3", ["r1", "r3"]),
        ("config.lr > 0.005", ["r2"]),
        ("config.lr >= .001 and config.lr < 0.02", ["r2", "r3"]),
        ("config.optimizer.name = adam", ["r1"]),
        ("config.optimizer.lr = 0.001", ["r1"]),
        ("config.optimizer = sgd", ["r2"]),
        ("config.optimizer != sgd", ["r1", "r3", "r4"]),
        ("config.optimizer.momentum = 0.9", ["r2"]),
        ('config."batch size" = 32', ["r1"]),
        ("config.'batch size' >= 32", ["r1"]),
        ('config."it\'s" = 1', ["r2"]),
        ("config.amp = true", ["r1"]),
        ("config.amp = false", []),
        ("config.amp exists", ["r1"]),
        ("not config.amp exists", ["r2", "r3", "r4"]),
        ("config.seed = 42", ["r1"]),
        ("config.layers contains 128", ["r1"]),
        ("config.layers contains b", ["r3"]),
        ("config.lr = null", ["r4"]),
        ("config.lr != null", ["r1", "r2", "r3"]),
        ("summary.acc > 0.9", ["r1", "r4"]),
        ("summary.loss > 1", ["r2", "r3"]),
        ("summary.loss < 1", []),
        ("summary.loss = NaN", ["r1"]),
        ("metrics.loss.min < 0.5", ["r1", "r4"]),
        ("metrics.loss.max >= 3", ["r2"]),
        ("metrics.loss < 0.6", ["r1"]),
        ("metrics.val/loss.count = 5", ["r2"]),
        ('metrics."val/loss".last exists', ["r2"]),
        ("metrics.loss exists", ["r1", "r2", "r4"]),
        ("metrics.loss.last = null", ["r3", "r4"]),
        ("tag:baseline", ["r1"]),
        ("tag:gpu and not tag:baseline", ["r2"]),
        ('tag:"x\'y"', ["r4"]),
        ("tags = gpu", ["r1", "r2"]),
        ("tags != gpu", ["r3", "r4"]),
        ('tags in (baseline, "x\'y")', ["r1", "r4"]),
        ("tags contains gpu", ["r1", "r2"]),
        ("tags exists", ["r1", "r2", "r4"]),
        ("notes exists", ["r1", "r3"]),
        ("created_at > 2026-11-01", ["r2", "r3"]),
        ("created_at < 2026-11-01T00:30", ["r1"]),
        ("created_at < '2026-11-01 00:30:00'", ["r1"]),
        ("created_at = null", ["r4"]),
        ("ended_at exists", ["r1"]),
        ("duration >= 100", ["r1"]),
        ("duration < 60", ["r2", "r3"]),
        ("NOT (status = running OR status = crashed) AND project = vision", ["r1"]),
        ("not not status = running", ["r2"]),
        ("(((status = running)))", ["r2"]),
        ("id in (r1, r4)", ["r1", "r4"]),
    ],
)
def test_filter_selects_the_matching_runs(
    db: sqlite3.Connection, expr: str, expected: list[str]
) -> None:
    assert ids(db, expr) == expected


def test_not_is_an_exact_complement(db: sqlite3.Connection) -> None:
    every = set(ids(db, ""))
    for expr in ["config.lr < 1e-3", "summary.loss > 1", "metrics.loss.min < 0.5", "tag:gpu",
                 "config.optimizer = sgd", "notes contains resnet", "duration < 60"]:  # fmt: skip
        inside = set(ids(db, expr))
        assert set(ids(db, f"not ({expr})")) == every - inside, expr


def test_iso_date_with_zone_is_absolute(db: sqlite3.Connection) -> None:
    stamp = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc).timestamp()
    _, params = compile_filter("created_at > 2026-11-01T00:00Z")
    assert stamp in params


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("created_at", ["r1", "r2", "r3", "r4"]),
        ("-created_at", ["r3", "r2", "r1", "r4"]),
        ("-summary.acc", ["r4", "r1", "r2", "r3"]),
        ("summary.acc", ["r2", "r1", "r4", "r3"]),
        ("summary.loss", ["r3", "r2", "r1", "r4"]),
        ("-summary.loss", ["r2", "r3", "r4", "r1"]),
        ("metrics.loss.min", ["r4", "r1", "r2", "r3"]),
        ("-metrics.loss.max", ["r2", "r1", "r4", "r3"]),
        ("project, -name", ["r4", "r3", "r2", "r1"]),
        ("project asc, name desc", ["r4", "r3", "r2", "r1"]),
        ("-config.lr", ["r2", "r3", "r1", "r4"]),
        ("config.optimizer.lr", ["r1", "r2", "r3", "r4"]),
        ("duration", ["r3", "r2", "r1", "r4"]),
        ("NAME", ["r3", "r4", "r1", "r2"]),
    ],
)
def test_sort_orders_runs_and_puts_missing_last(
    db: sqlite3.Connection, expr: str, expected: list[str]
) -> None:
    assert order(db, expr) == expected


def test_blank_sort_is_empty() -> None:
    assert compile_sort("  ") == ""


@pytest.mark.parametrize(
    ("expr", "position", "words"),
    [
        ("status =", 8, "expected a value"),
        ("status running", 7, "expected an operator"),
        ("foo = 1", 0, "unknown field 'foo'"),
        ("config. = 1", 0, "expected a key"),
        ("metrics. > 1", 0, "expected a metric key"),
        ("(status = running", 17, "')'"),
        ("status = running)", 16, "expected 'and', 'or' or the end"),
        ("status = 'running", 9, "unterminated string"),
        ("status ! running", 7, "'!='"),
        ("config.lr < 1 and", 17, "expected a field"),
        ("status in running", 10, "'(' after 'in'"),
        ("status in (a b)", 13, "',' or ')'"),
        ("created_at > yesterday", 13, "ISO date"),
        ("metrics.loss.min > low", 19, "expected a number"),
        ("duration contains 3", 9, "'contains' applies"),
        ("tags < a", 7, "tags can only"),
        ("config.lr < null", 12, "cannot compare with null"),
        ("status = running status = x", 17, "expected 'and', 'or'"),
        ('config."a"b = 1', 10, "after a quoted key"),
        ("and", 0, "expected a field"),
    ],
)
def test_errors_point_at_the_offending_position(expr: str, position: int, words: str) -> None:
    with pytest.raises(InvalidQueryError) as info:
        compile_filter(expr)
    assert info.value.position == position
    assert words in str(info.value)
    assert f"position {position}" in str(info.value)


@pytest.mark.parametrize(
    ("expr", "position"),
    [("-nope", 1), ("created_at,", 11), ("created_at name", 11), ("summary.", 0)],
)
def test_sort_errors_have_positions(expr: str, position: int) -> None:
    with pytest.raises(InvalidQueryError) as info:
        compile_sort(expr)
    assert info.value.position == position


def test_deep_nesting_and_long_expressions_are_refused() -> None:
    with pytest.raises(InvalidQueryError, match="nests deeper"):
        compile_filter("(" * 200 + "status = x" + ")" * 200)
    with pytest.raises(InvalidQueryError, match="longer than"):
        compile_filter("status = " + "x" * 10000)


INJECTIONS = [
    "x'; DROP TABLE runs; --",
    "' OR 1=1 --",
    'a") OR 1=1 --',
    "$.lr') OR ('1'='1",
    "]]'\"",
]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_in_values_is_inert(db: sqlite3.Connection, payload: str) -> None:
    quoted = '"' + payload.replace("\\", "\\\\").replace('"', '\\"') + '"'
    for expr in [f"name = {quoted}", f"config.lr = {quoted}", f"tag:{quoted}",
                 f"notes contains {quoted}", f"status in ({quoted}, x)",
                 f"config.layers contains {quoted}"]:  # fmt: skip
        where, _ = compile_filter(expr)
        assert payload not in where
        assert ids(db, expr) == []
    assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 4


@pytest.mark.parametrize("payload", ["x') OR 1=1 --", "lr' OR '1'='1", "a'b", "val/loss'--"])
def test_injection_in_keys_is_inert(db: sqlite3.Connection, payload: str) -> None:
    quoted = '"' + payload.replace("\\", "\\\\").replace('"', '\\"') + '"'
    for expr in [f"config.{quoted} = 1", f"summary.{quoted} exists",
                 f"metrics.{quoted}.min < 1", f"config.a.{quoted} contains x"]:  # fmt: skip
        where, _ = compile_filter(expr)
        assert payload not in where
        assert ids(db, expr) == []
    for expr in [f"config.{quoted}", f"-metrics.{quoted}.max", f"summary.{quoted}"]:
        assert len(order(db, expr)) == 4
    assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 4


def test_keys_with_double_quotes_or_control_characters_are_refused() -> None:
    with pytest.raises(InvalidQueryError, match="double quote"):
        compile_filter('config."a\\"b" = 1')
    with pytest.raises(InvalidQueryError):
        compile_sort('config."a\nb"')


def test_tokens_keep_quoted_segments_whole() -> None:
    tokens = tokenize('config."batch size".x >= 3')
    assert tokens[0].segments == ("config", "batch size", "x")
    assert [t.kind for t in tokens] == ["word", "op", "word", "eof"]


@pytest.mark.parametrize(
    ("namespace", "path", "expected"),
    [
        ("config", ("batch_size",), "config.batch_size"),
        ("config", ("weight decay",), 'config."weight decay"'),
        ("config", ("optimizer.betas",), 'config."optimizer.betas"'),
        ("config", ("optimizer", "betas"), "config.optimizer.betas"),
        ("config", ("学习率",), "config.学习率"),
        ("config", ("a\\b",), 'config."a\\\\b"'),
        ("summary", ("val/acc",), 'summary."val/acc"'),
        ("metrics", ("val/acc",), 'metrics."val/acc"'),
    ],
)  # fmt: skip
def test_field_expression_names_a_key_path_the_parser_reads_back(
    namespace: str, path: tuple[str, ...], expected: str
) -> None:
    from runicorn.storage.query import field_expression

    name = field_expression(namespace, path)
    assert name == expected
    word = tokenize(name)[0]
    assert word.segments == (namespace, *path)


def test_field_expression_is_none_for_keys_no_expression_can_name() -> None:
    from runicorn.storage.query import field_expression

    assert field_expression("config", ('say "hi"',)) is None
    assert field_expression("config", ("",)) is None
    assert field_expression("summary", ("line\nbreak",)) is None


def test_a_flat_key_with_a_dot_and_a_key_with_a_space_sort_by_their_quoted_names(
    db: sqlite3.Connection,
) -> None:
    # r2 has the flat key "optimizer.momentum"; r1 has "batch size".
    assert order(db, '-config."optimizer.momentum"')[0] == "r2"
    assert order(db, 'config."batch size"')[0] == "r1"
    assert ids(db, 'config."batch size" = 32') == ["r1"]
    assert ids(db, 'config."optimizer.momentum" > 0.5') == ["r2"]
