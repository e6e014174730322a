{#- Lets the BI role see the marts schema; `grants` on each mart give it select. Other
    schemas (raw, staging, intermediate, ml) get nothing, so it cannot read them. -#}
{% macro grant_marts_usage() -%}
    {{ return(adapter.dispatch('grant_marts_usage', 'student_performance')()) }}
{%- endmacro %}

{% macro default__grant_marts_usage() -%}
    {{ return('') }}
{%- endmacro %}

{% macro postgres__grant_marts_usage() -%}
    {%- set grant_sql -%}
        do $$
        begin
            if exists (select from pg_namespace where nspname = '{{ spf_schema('marts') }}') then
                grant usage on schema {{ spf_schema('marts') }} to bi_reader;
            end if;
        end
        $$
    {%- endset -%}
    {{ return(grant_sql) }}
{%- endmacro %}
