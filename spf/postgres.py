"""Postgres set-up the project does for itself: the database and its read-only BI role.

Roles are server-wide, so each database has its own BI role (macros/bi_role.sql: SPF_BI_ROLE,
or `<database>_reader`), which may connect to that database only; a run sets the password of
its own database's role, never another's. Done in Python, not in dbt hooks, so that the BI
password (SPF_BI_PASSWORD) never appears in compiled SQL or dbt's logs.
"""

from __future__ import annotations

import os
from typing import Any

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import encrypt_password

from spf.profile import ConfigurationError

# serialises the CONNECT grants of one database's runs (two GRANTs on one database at once
# fail with "tuple concurrently updated"); advisory locks are per database
_SCOPING_LOCK = 0x5BF0B1
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


def bi_role(dbname: str) -> str:
    """The read-only BI role of database `dbname`: macros/bi_role.sql's rule, the one dbt's
    grants use too; ConfigurationError when the name is not a plain role name."""
    from spf.macros import MacroError, call_macro

    try:
        return call_macro("bi_role", dbname, os.environ.get("SPF_BI_ROLE", ""))
    except MacroError as error:
        raise ConfigurationError(str(error)) from None


def ensure_bi_role(connection, dbname: str) -> str:
    """Create database `dbname`'s BI login role if absent, set its password from
    SPF_BI_PASSWORD, and let it (and the runner's user) connect to this database only. The
    role's name; its rights on the marts are dbt's business (macros/grant_marts_to_bi_role)."""
    role = bi_role(dbname)
    password = os.environ.get("SPF_BI_PASSWORD")
    with connection.cursor() as cursor:
        cursor.execute("select 1 from pg_roles where rolname = %s", (role,))
        if not cursor.fetchone():
            try:
                cursor.execute(sql.SQL("create role {} login").format(sql.Identifier(role)))
            except _MADE_MEANWHILE:  # by a run started at the same time
                pass
        if password:  # sent as a SCRAM verifier: the server never sees or logs the password
            verifier = encrypt_password(password, role, connection, "scram-sha-256")
            cursor.execute(
                sql.SQL("alter role {} password %s").format(sql.Identifier(role)), (verifier,)
            )
    _connect_only_here(connection, dbname, role)
    return role


def _connect_only_here(connection, dbname: str, role: str) -> None:
    """CONNECT on this database for `role` and the runner's user, and for nobody else through
    PUBLIC (whose default CONNECT lets every role of the server in). Done once per database."""
    database, grantee = sql.Identifier(dbname), sql.Identifier(role)
    with connection.cursor() as cursor:
        cursor.execute("begin")
        try:
            cursor.execute("select pg_advisory_xact_lock(%s)", (_SCOPING_LOCK,))
            cursor.execute(_SCOPE_SQL, {"role": role})
            public_connects, role_connects, may_grant = cursor.fetchone()
            if role_connects and not public_connects:
                return
            if not may_grant:
                user = sql.Identifier(connection.info.user).as_string(connection)
                on = f"on database {database.as_string(connection)}"
                raise ConfigurationError(
                    f"User {user} does not own database '{dbname}', so it cannot keep other roles"
                    f" out of it: ask its owner to run `grant connect {on} to"
                    f" {grantee.as_string(connection)}, {user}; revoke connect {on} from public`"
                )
            cursor.execute(
                sql.SQL("grant connect on database {} to {}, current_user").format(
                    database, grantee
                )
            )
            cursor.execute(sql.SQL("revoke connect on database {} from public").format(database))
        finally:
            cursor.execute("commit")


# whether PUBLIC and the role have CONNECT on this database, and whether the current user may
# grant it (the owner, a member of the owner's role, or a superuser)
_SCOPE_SQL = """
select
    bool_or(grants.grantee = 0) as public_connects,
    bool_or(roles.rolname = %(role)s) as role_connects,
    bool_or(pg_has_role(databases.datdba, 'USAGE'))
        or (select rolsuper from pg_roles where rolname = current_user) as may_grant
from pg_database as databases
cross join aclexplode(coalesce(databases.datacl, acldefault('d', databases.datdba))) as grants
left join pg_roles as roles on grants.grantee = roles.oid
where databases.datname = current_database() and grants.privilege_type = 'CONNECT'
"""
