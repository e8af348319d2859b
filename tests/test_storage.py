from bot.storage import MIGRATIONS, Storage


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
    try:
        db.migrate_module("demo", ["CREATE TABLE demo (x INTEGER)", "CREATE TABLE t2 (a); SELECT nope FROM missing"])
    except Exception:
        pass
    assert db.db.execute("SELECT version FROM schema_versions WHERE module = 'demo'").fetchone()[0] == 1
    assert db.db.execute("SELECT name FROM sqlite_master WHERE name = 't2'").fetchone() is None
    db.close()


def test_claim_event_is_true_once(tmp_path):
    db = Storage(tmp_path / "db.sqlite")
    assert db.claim_event("$e") is True
    assert db.claim_event("$e") is False
    assert db.is_processed("$e")
    db.close()
