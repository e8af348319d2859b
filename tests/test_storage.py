import sqlite3

import pytest

from bot.core.storage import MIGRATIONS, SchemaTooNewError, Storage


def test_migrations_are_versioned_and_idempotent(tmp_path):
    path = tmp_path / "db.sqlite"
    db = Storage(path)
    assert db.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    db.set("sync", "s1")
    db.migrate_module("demo", ["CREATE TABLE demo (x INTEGER)"])
    db.db.execute("INSERT INTO demo VALUES (1)")
    db.close()
    again = Storage(path)  # a restart: nothing re-applied, data kept
    assert again.get("sync") == "s1"
    assert again.migrate_module("demo", ["CREATE TABLE demo (x INTEGER)", "ALTER TABLE demo ADD COLUMN y TEXT"]) == 2
    assert [tuple(r) for r in again.db.execute("SELECT x, y FROM demo")] == [(1, None)]
    assert again.db.execute("SELECT version FROM schema_versions WHERE module = 'demo'").fetchone()[0] == 2
    again.close()


def test_a_failing_migration_rolls_back_and_keeps_the_version(tmp_path):
    db = Storage(tmp_path / "db.sqlite")
    db.migrate_module("demo", ["CREATE TABLE demo (x INTEGER)"])
    with pytest.raises(sqlite3.OperationalError, match="no such table: missing"):
        db.migrate_module("demo", ["CREATE TABLE demo (x INTEGER)", "CREATE TABLE t2 (a); SELECT nope FROM missing"])
    assert not db.db.in_transaction
    assert db.db.execute("SELECT version FROM schema_versions WHERE module = 'demo'").fetchone()[0] == 1
    assert db.db.execute("SELECT name FROM sqlite_master WHERE name = 't2'").fetchone() is None
    db.close()


def test_claim_event_is_true_once(tmp_path):
    db = Storage(tmp_path / "db.sqlite")
    assert db.claim_event("$e") is True
    assert db.claim_event("$e") is False
    assert db.is_processed("$e")
    db.close()


def test_a_semicolon_inside_a_statement_does_not_split_it(tmp_path):
    db = Storage(tmp_path / "db.sqlite")
    db.migrate_module("demo", ["""
        CREATE TABLE demo (x TEXT DEFAULT 'a; b');
        CREATE TABLE log (x TEXT);
        CREATE TRIGGER demo_log AFTER INSERT ON demo BEGIN INSERT INTO log VALUES (new.x); END;
        INSERT INTO demo DEFAULT VALUES;
    """])
    assert [tuple(r) for r in db.db.execute("SELECT x FROM log")] == [("a; b",)]
    assert db.db.execute("SELECT version FROM schema_versions WHERE module = 'demo'").fetchone()[0] == 1
    db.close()


def test_a_database_from_a_newer_version_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "db.sqlite"
    Storage(path).close()
    newer = len(MIGRATIONS) + 1
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA journal_mode=DELETE")  # so that turning WAL on would show in the file
    raw.execute(f"PRAGMA user_version = {newer}")
    raw.close()
    before = path.read_bytes()
    with pytest.raises(SchemaTooNewError) as caught:
        Storage(path)
    assert (caught.value.found, caught.value.known) == (newer, len(MIGRATIONS))
    message = str(caught.value)
    assert str(path) in message and f"version {newer}" in message and f"jusqu'à {len(MIGRATIONS)}" in message
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db.sqlite"]


def test_a_module_schema_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "db.sqlite"
    db = Storage(path)
    db.migrate_module("demo", ["CREATE TABLE demo (x INTEGER)", "ALTER TABLE demo ADD COLUMN y TEXT",
                               "ALTER TABLE demo ADD COLUMN z TEXT"])
    with pytest.raises(SchemaTooNewError) as caught:
        db.migrate_module("demo", ["CREATE TABLE demo (x INTEGER)"])
    assert (caught.value.module, caught.value.found, caught.value.known) == ("demo", 3, 1)
    message = str(caught.value)
    assert str(path) in message and "« demo » en version 3" in message and "jusqu'à 1" in message
    assert db.db.execute("SELECT version FROM schema_versions WHERE module = 'demo'").fetchone()[0] == 3
    db.close()
