{#- Trimmed text, with empty strings as null: how every raw value is read first. -#}
{% macro clean_text(expression) -%}
    nullif(trim({{ expression }}), '')
{%- endmacro %}
