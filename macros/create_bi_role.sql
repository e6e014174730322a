{#- Creates this database's read-only BI login role, bi_role(), if it is absent (Postgres).
    Its password (SPF_BI_PASSWORD) and its CONNECT to this database only are set by the runner
    (spf.postgres), so that the password never reaches dbt's logs. -#}
{% macro create_bi_role() -%}
    {{ return(adapter.dispatch('create_bi_role', 'student_performance')()) }}
{%- endmacro %}

{% macro default__create_bi_role() -%}
    {{ return('') }}
{%- endmacro %}

{% macro postgres__create_bi_role() -%}
    {%- set create_sql -%}
        do $$
        begin
            if not exists (select from pg_roles where rolname = '{{ bi_role() }}') then
                create role "{{ bi_role() }}" login;
            end if;
        end
        $$
    {%- endset -%}
    {{ return(create_sql) }}
{%- endmacro %}
