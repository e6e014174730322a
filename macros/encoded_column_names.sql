{#- The encoded columns of every category column, in spf_columns() order: a list of
    {name, expression, role} (see encoded_columns). -#}
{% macro encoded_column_names() -%}
    {%- set names = [] -%}
    {%- for column in spf_columns() if column.kind == 'category' -%}
        {%- do names.extend(encoded_columns(column)) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}
