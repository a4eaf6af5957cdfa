"""Alembic environment: the URL comes from fairlabel's Settings unless the caller set one."""

from alembic import context
from sqlalchemy import Connection

from fairlabel import models
from fairlabel.config import Settings
from fairlabel.db import make_engine

config = context.config
target_metadata = models.Base.metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    url = config.get_main_option("sqlalchemy.url") or Settings().resolved_database_url
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    engine = make_engine(url)
    with engine.connect() as conn:
        run_migrations(conn)
    engine.dispose()


main()
