{#- The encoded columns of one category column, as select expressions (see the
    `category_encodings` doc block):
      ordinal -> <name>_code: position in `values` (0, 1, 2, ...), null when missing;
      flag    -> has_<name>: true for the second value (Yes);
      one_hot -> is_<name>_<value>: one boolean per value. -#}
{% macro encode_category(column) -%}
    {%- set name = column.name -%}
    {%- if column.encoding == 'ordinal' -%}
        case {{ name }}
            {%- for value in column['values'] %}
            when '{{ value }}' then {{ loop.index0 }}
            {%- endfor %}
        end as {{ name }}_code
    {%- elif column.encoding == 'flag' -%}
        {{ name }} = '{{ column['values'][1] }}' as has_{{ name }}
    {%- elif column.encoding == 'one_hot' -%}
        {%- for value in column['values'] -%}
        {{ name }} = '{{ value }}' as is_{{ name }}_{{ value | lower | replace(' ', '_') }}
        {{- ',\n        ' if not loop.last }}
        {%- endfor -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "Unknown encoding '" ~ column.encoding ~ "' for column " ~ name) }}
    {%- endif -%}
{%- endmacro %}
