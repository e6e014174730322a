{#- The column of the raw table that holds an export column: its header, lower-cased. -#}
{% macro raw_column_name(column) -%}
    {{ return(column.raw | lower) }}
{%- endmacro %}
