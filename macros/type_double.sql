{#- A 64-bit floating-point type on every engine (dbt.type_float() is 32-bit on DuckDB), from
    `vars.spf_double_type`, which the marts' contracts read too. -#}
{% macro type_double() -%}
    {{ return(var('spf_double_type').get(target.type, 'double')) }}
{%- endmacro %}
