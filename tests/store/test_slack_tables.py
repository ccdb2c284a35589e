"""slack_sdk's installation and OAuth-state tables come from pmtip's migrations (0004),
frozen there as slack_sdk defined them: these tests catch a slack_sdk upgrade whose
tables differ, on SQLite and PostgreSQL, before its stores meet a missing column."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, inspect

from bot.store import open_store
from bot.store.sql import metadata

SLACK_TABLES = {"slack_installations", "slack_bots", "slack_oauth_states"}


def slack_sdk_tables() -> MetaData:
    """The tables as slack_sdk's own stores define them (the names pmtip uses)."""
    tables = MetaData()
    installs, states = SQLAlchemyInstallationStore, SQLAlchemyOAuthStateStore
    installs.build_installations_table(tables, installs.default_installations_table_name)
    installs.build_bots_table(tables, installs.default_bots_table_name)
    states.build_oauth_states_table(tables, states.default_table_name)
    return tables


def test_the_stores_use_the_table_names_the_migration_creates():
    installs = SQLAlchemyInstallationStore(client_id="c", engine=None)  # type: ignore[arg-type]
    assert {installs.installations.name, installs.bots.name} | {
        SQLAlchemyOAuthStateStore.default_table_name
    } == SLACK_TABLES


def test_the_migrated_slack_tables_are_slack_sdks(database_url):
    store = open_store(database_url)
    try:
        with store.engine.connect() as connection:
            # Only the slack_* tables: pmtip's own are checked against bot.store.sql.schema.
            only_slack = {
                "compare_type": True,
                "include_name": lambda name, kind, _parents: (
                    kind != "table" or name in SLACK_TABLES
                ),
            }
            context = MigrationContext.configure(connection, opts=only_slack)
            differences = compare_metadata(context, slack_sdk_tables())
        assert differences == []
    finally:
        store.close()


def test_columns_nullability_and_indexes_match_one_by_one(database_url):
    """The same, spelled out, so a failure names the column."""
    store = open_store(database_url)
    try:
        found = inspect(store.engine)
        for table in slack_sdk_tables().tables.values():
            columns = {c["name"]: c for c in found.get_columns(table.name)}
            assert set(columns) == {c.name for c in table.columns}, table.name
            for column in table.columns:
                migrated = columns[column.name]
                assert migrated["nullable"] == column.nullable, (table.name, column.name)
                assert _rough(migrated["type"]) == _rough(column.type), (table.name, column.name)
            indexes = {i["name"]: i["column_names"] for i in found.get_indexes(table.name)}
            for index in table.indexes:
                assert indexes.get(index.name) == [c.name for c in index.columns], index.name
    finally:
        store.close()


def test_the_code_expects_exactly_the_migrated_schema_with_slack_tables(database_url):
    """Nothing in the database that neither pmtip's schema nor slack_sdk's defines."""
    store = open_store(database_url)
    try:
        tables = set(inspect(store.engine).get_table_names()) - {"alembic_version"}
        assert tables == set(metadata.tables) | SLACK_TABLES
    finally:
        store.close()


def _rough(sql_type: object) -> tuple[str, int | None]:
    """The type's family and length: VARCHAR(32) and String(32) agree, as do
    TIMESTAMP WITHOUT TIME ZONE and DateTime, BOOLEAN and Boolean."""
    python = getattr(sql_type, "python_type", None)
    family = python.__name__ if python is not None else type(sql_type).__name__
    return family, getattr(sql_type, "length", None)
