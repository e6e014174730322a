"""A read-only BI role per Postgres warehouse: two databases on one server, each built by the
main job with its own role, which reads its own marts, cannot connect to the other database,
and is never changed by a run on the other."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest

from spf.postgres import bi_role
from spf.profile import ConfigurationError
from tests.corpus import HEADER, base_rows, csv_text
from tests.helpers import PG, Target, drop_postgres_database, require_postgres


def test_a_databases_role_is_named_from_it_or_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPF_BI_ROLE", raising=False)
    assert bi_role("student_performance") == "student_performance_reader"
    monkeypatch.setenv("SPF_BI_ROLE", "school_bi")
    assert bi_role("student_performance") == "school_bi"


@pytest.mark.parametrize(
    ("database", "role"),
    [
        ("student-performance", ""),  # the derived name would need quoting
        ("Students", ""),  # Postgres would fold an unquoted name to lower case
        ("s" * 60, ""),  # 67 characters: Postgres would cut it to 63
        ("student_performance", "bi; drop role postgres"),
        ("student_performance", "9lives"),
    ],
)
def test_a_name_that_is_no_plain_role_name_is_refused(
    monkeypatch: pytest.MonkeyPatch, database: str, role: str
) -> None:
    monkeypatch.setenv("SPF_BI_ROLE", role)
    with pytest.raises(ConfigurationError, match="is not a plain role name: set SPF_BI_ROLE"):
        bi_role(database)


@dataclass
class Warehouse:
    target: Target
    role: str
    password: str

    def connect(self, database: str | None = None) -> psycopg2.extensions.connection:
        """A connection as this warehouse's BI role (to its own database by default)."""
        return psycopg2.connect(
            dbname=database or self.target.database,
            password=self.password,
            connect_timeout=10,
            **{**PG, "user": self.role},
        )

    def run(self, raw_csv: Path, **env: str) -> None:
        env = {"SPF_BI_PASSWORD": self.password, **env}
        if self.role != f"{self.target.database}_reader":
            env["SPF_BI_ROLE"] = self.role
        result = self.target.run(raw_csv, "--skip-ml", **env)
        assert result.returncode == 0, result.output[-3000:]


def role_state(role: str) -> tuple[str, list[str]]:
    """The role's password verifier, and the databases it may connect to by a grant of its own."""
    with psycopg2.connect(dbname="postgres", **PG) as connection, connection.cursor() as cursor:
        cursor.execute("select rolpassword from pg_authid where rolname = %s", (role,))
        verifier = cursor.fetchone()[0]
        cursor.execute(
            "select datname from pg_database, aclexplode(datacl) as grants"
            " where grants.privilege_type = 'CONNECT'"
            " and grants.grantee = (select oid from pg_roles where rolname = %s)"
            " order by datname",
            (role,),
        )
        return verifier, [row[0] for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def raw_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("roles") / "students.csv"
    path.write_text(csv_text([HEADER, *base_rows()]))
    return path


@pytest.fixture(scope="module")
def warehouses(
    raw_csv: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Warehouse, Warehouse]]:
    """Two warehouses on one server: `one` with the derived role name, `two` with a role set
    by SPF_BI_ROLE; both built by the main job."""
    require_postgres()
    one_target = Target("postgres", tmp_path_factory.mktemp("one"))
    two_target = Target("postgres", tmp_path_factory.mktemp("two"))
    one = Warehouse(one_target, f"{one_target.database}_reader", "password-one")
    two = Warehouse(two_target, f"spf_test_bi_{uuid.uuid4().hex[:8]}", "password-two")
    try:
        one.run(raw_csv)
        two.run(raw_csv)
        yield one, two
    finally:
        drop_postgres_database(one_target.database)
        drop_postgres_database(two_target.database, two.role)


def test_each_role_reads_its_own_marts(warehouses: tuple[Warehouse, Warehouse]) -> None:
    for warehouse in warehouses:
        with warehouse.connect() as connection, connection.cursor() as cursor:
            cursor.execute("select student_count from marts.rpt_kpi_summary")
            assert cursor.fetchone()[0] == len(base_rows())
            cursor.execute("select current_user")
            assert cursor.fetchone()[0] == warehouse.role


def test_a_role_cannot_connect_to_the_other_warehouse(
    warehouses: tuple[Warehouse, Warehouse],
) -> None:
    one, two = warehouses
    for warehouse, other in ((one, two), (two, one)):
        with pytest.raises(psycopg2.OperationalError, match="permission denied for database"):
            warehouse.connect(other.target.database).close()
        assert role_state(warehouse.role)[1] == [warehouse.target.database]


def test_no_other_role_of_the_server_may_connect(
    warehouses: tuple[Warehouse, Warehouse],
) -> None:
    """PUBLIC's default CONNECT is revoked: a role made by someone else stays out."""
    outsider = f"spf_test_outsider_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(dbname="postgres", **PG)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"create role {outsider} login")
        for warehouse in warehouses:
            with pytest.raises(psycopg2.OperationalError, match="permission denied"):
                psycopg2.connect(
                    dbname=warehouse.target.database, connect_timeout=10,
                    **{**PG, "user": outsider},
                ).close()  # fmt: skip
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"drop role if exists {outsider}")
        admin.close()


def test_a_run_never_changes_the_other_warehouses_role(
    warehouses: tuple[Warehouse, Warehouse], raw_csv: Path
) -> None:
    one, two = warehouses
    one_before, two_before = role_state(one.role), role_state(two.role)
    one.password = "password-one-changed"
    one.run(raw_csv)
    assert role_state(two.role) == two_before  # same verifier, same database
    assert role_state(one.role)[0] != one_before[0]  # the run did set its own role's password
    with two.connect() as connection, connection.cursor() as cursor:
        cursor.execute("select count(*) from marts.dim_students")
        assert cursor.fetchone()[0] == len(base_rows())
