{#- Creates the read-only BI login role if it is absent (Postgres). Its password, when
    SPF_BI_PASSWORD is set, is applied by `python -m spf` so it never reaches dbt's logs. -#}
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
            if not exists (select from pg_roles where rolname = 'bi_reader') then
                create role bi_reader login;
            end if;
        end
        $$
    {%- endset -%}
    {{ return(create_sql) }}
{%- endmacro %}
