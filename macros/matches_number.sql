{#- True when text is a plain decimal number (or, with whole=true, a whole number such as 12 or
    12.0). Regular expressions differ per engine, so this is dispatched. -#}
{% macro matches_number(expression, whole=false) -%}
    {%- set whole_pattern = '^[+-]?[0-9]+([.]0+)?$' -%}
    {%- set pattern = whole_pattern if whole else '^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$' -%}
    {{ adapter.dispatch('matches_number', 'student_performance')(expression, pattern) }}
{%- endmacro %}

{% macro duckdb__matches_number(expression, pattern) -%}
    regexp_full_match({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro default__matches_number(expression, pattern) -%}
    {{ exceptions.raise_compiler_error(
        "matches_number has no regular-expression match for '" ~ target.type ~ "'") }}
{%- endmacro %}

{% macro postgres__matches_number(expression, pattern) -%}
    ({{ expression }} ~ '{{ pattern }}')
{%- endmacro %}

{% macro spark__matches_number(expression, pattern) -%}
    ({{ expression }} rlike '{{ pattern }}')
{%- endmacro %}
