{#- The encoded columns of one category column, as select expressions (encoded_columns). -#}
{% macro encode_category(column) -%}
    {%- for encoded in encoded_columns(column) -%}
        {{ encoded.expression }} as {{ encoded.name }}{{ ',\n        ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
