{#- Lets this database's BI role, bi_role(), read the marts: usage on schema marts and select
    on every table and view in it, after every run (on-run-end). Other schemas (raw, staging,
    intermediate, ml) get nothing, so it cannot read them. -#}
{% macro grant_marts_to_bi_role() -%}
    {{ return(adapter.dispatch('grant_marts_to_bi_role', 'student_performance')()) }}
{%- endmacro %}

{% macro default__grant_marts_to_bi_role() -%}
    {{ return('') }}
{%- endmacro %}

{% macro postgres__grant_marts_to_bi_role() -%}
    {%- set grant_sql -%}
        do $$
        begin
            if exists (select from pg_namespace where nspname = '{{ spf_schema('marts') }}') then
                grant usage on schema {{ spf_schema('marts') }} to "{{ bi_role() }}";
                grant select on all tables in schema {{ spf_schema('marts') }}
                    to "{{ bi_role() }}";
            end if;
        end
        $$
    {%- endset -%}
    {{ return(grant_sql) }}
{%- endmacro %}
