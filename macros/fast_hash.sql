{#- A cheap, non-cryptographic 64-bit hash of text, to find candidate duplicates in one
    aggregation (equal values hash equal; a collision only costs an exact comparison). -#}
{% macro fast_hash(expression) -%}
    {{ adapter.dispatch('fast_hash', 'student_performance')(expression) }}
{%- endmacro %}

{% macro default__fast_hash(expression) -%}
    {{ dbt.hash(expression) }}
{%- endmacro %}

{% macro duckdb__fast_hash(expression) -%}
    hash({{ expression }})
{%- endmacro %}

{% macro postgres__fast_hash(expression) -%}
    hashtextextended({{ expression }}, 0)
{%- endmacro %}

{% macro spark__fast_hash(expression) -%}
    xxhash64({{ expression }})
{%- endmacro %}
