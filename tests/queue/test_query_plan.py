"""The queue's statements must use their indexes on both databases: the next-task query walks
ix_items_queue in order and stops at the first match (a sort of a project's open items would
cost hundreds of milliseconds on a million items), the lease sweep is a range scan of
ix_assignments_lease."""

from typing import Any, cast

from sqlalchemy import ClauseElement, Connection, text
from sqlalchemy.sql.compiler import SQLCompiler

from fairlabel.db import Database, utcnow
from fairlabel.queue.service import SWEEP, queue_head


def _plan(
    database: Database, conn: Connection, statement: ClauseElement, params: dict[str, Any]
) -> str:
    compiled = cast(SQLCompiler, statement.compile(dialect=conn.dialect))
    values = compiled.construct_params(params)
    if database.is_sqlite:
        positional = tuple(values[name] for name in compiled.positiontup or ())
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", positional)
        return " | ".join(row[-1] for row in rows)
    conn.execute(text("SET LOCAL enable_seqscan = off"))  # tables are tiny in tests
    return " | ".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {compiled}", values))


def test_queue_head_walks_the_index_without_sorting(database: Database) -> None:
    with database.engine.connect() as conn:
        plan = _plan(database, conn, queue_head(), {"p_project": 1, "p_worker": 1})
    if database.is_sqlite:
        assert "ix_items_queue (project_id=? AND is_open=?)" in plan, plan
        assert "TEMP B-TREE" not in plan, plan
    else:
        assert "Index Only Scan using ix_items_queue" in plan, plan
        assert "Sort" not in plan, plan


def test_lease_sweep_is_a_range_scan_of_its_index(database: Database) -> None:
    with database.engine.connect() as conn:
        plan = _plan(database, conn, SWEEP, {"p_project": 1, "p_now": utcnow()})
    if database.is_sqlite:
        assert "ix_assignments_lease (project_id=? AND status=? AND expires_at<?)" in plan, plan
    else:
        assert "ix_assignments_lease" in plan, plan
