{#- True when text is a plain decimal number (or, with whole=true, a whole number such as 12 or
    12.0). Regular expressions differ per engine, so this is dispatched. -#}
{% macro matches_number(expression, whole=false) -%}
    {%- set pattern = '^[+-]?[0-9]+([.]0+)?$' if whole else '^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$' -%}
    {{ adapter.dispatch('matches_number', 'student_performance')(expression, pattern) }}
{%- endmacro %}

{% macro default__matches_number(expression, pattern) -%}
    regexp_full_match({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro postgres__matches_number(expression, pattern) -%}
    ({{ expression }} ~ '{{ pattern }}')
{%- endmacro %}

{% macro spark__matches_number(expression, pattern) -%}
    ({{ expression }} rlike '{{ pattern }}')
{%- endmacro %}
