{#- Creates schema `layer` (with the build area's suffix, spf_schema) and each of `tables`
    ({name: [(column, type), ...]}) that does not exist yet, empty, and commits. Called by the
    on-run-start hooks that give the ML step's outputs and the load history their tables. -#}
{% macro create_missing_tables(layer, tables) -%}
    {%- set sql = adapter.dispatch('create_missing_tables', 'student_performance')(
        layer, tables) -%}
    {{ return(run_committed(sql) if sql.strip() else '') }}
{%- endmacro %}


{% macro default__create_missing_tables(layer, tables, table_options='') -%}
    create schema if not exists {{ spf_schema(layer) }};
    {%- for name, columns in tables.items() %}

    create table if not exists {{ spf_schema(layer) }}.{{ name }} (
        {%- for column in columns %}
        {{ column[0] }} {{ column[1] }}{{ ',' if not loop.last }}
        {%- endfor %}
    ){{ ' ' ~ table_options if table_options }};
    {%- endfor %}
{%- endmacro %}


{#- Spark SQL runs one statement per call, and its tables need a file format. -#}
{% macro spark__create_missing_tables(layer, tables) -%}
    {%- set script = default__create_missing_tables(
        layer, tables, table_options='using parquet') -%}
    {%- for statement in script.split(';') if statement.strip() -%}
        {%- do run_query(statement) -%}
    {%- endfor -%}
    {{ return('') }}
{%- endmacro %}
