"""Postgres set-up the project does for itself: the database and the read-only BI role.

Done in Python, not in dbt hooks, so that the BI password (SPF_BI_PASSWORD) never appears in
compiled SQL or dbt's logs.
"""

from __future__ import annotations

import os
from typing import Any

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import encrypt_password

BI_ROLE = "bi_reader"
# what Postgres says when two sessions create the same database or role at once: the one that
# loses sees it exists, or (both having checked first) a unique violation in the catalog
_MADE_MEANWHILE = (
    psycopg2.errors.DuplicateDatabase,
    psycopg2.errors.DuplicateObject,
    psycopg2.errors.UniqueViolation,
)


def ensure_database(settings: dict[str, Any]) -> bool:
    """Create the target's database if it is missing; True when it was created."""
    connection = psycopg2.connect(
        host=settings["host"], port=settings["port"], user=settings["user"],
        password=settings.get("password") or None, dbname="postgres",
    )  # fmt: skip
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("select 1 from pg_database where datname = %s", (settings["dbname"],))
            if cursor.fetchone():
                return False
            try:
                cursor.execute(
                    sql.SQL("create database {}").format(sql.Identifier(settings["dbname"]))
                )
            except _MADE_MEANWHILE:  # by a run started at the same time
                return False
            return True
    finally:
        connection.close()


def ensure_bi_reader(connection) -> None:
    """Create the `bi_reader` login role if absent; set its password from SPF_BI_PASSWORD.

    Its rights are dbt's business: `grants` on the marts and usage on schema marts only.
    """
    password = os.environ.get("SPF_BI_PASSWORD")
    with connection.cursor() as cursor:
        cursor.execute("select 1 from pg_roles where rolname = %s", (BI_ROLE,))
        if not cursor.fetchone():
            try:
                cursor.execute(sql.SQL("create role {} login").format(sql.Identifier(BI_ROLE)))
            except _MADE_MEANWHILE:  # by a run started at the same time
                pass
        if password:  # sent as a SCRAM verifier: the server never sees or logs the password
            verifier = encrypt_password(password, BI_ROLE, connection, "scram-sha-256")
            cursor.execute(
                sql.SQL("alter role {} password %s").format(sql.Identifier(BI_ROLE)), (verifier,)
            )
