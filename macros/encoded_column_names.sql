{#- The names of the encoded columns of every category column, in spf_columns() order. -#}
{% macro encoded_column_names() -%}
    {%- set names = [] -%}
    {%- for column in spf_columns() if column.kind == 'category' -%}
        {%- if column.encoding == 'ordinal' -%}
            {%- do names.append(column.name ~ '_code') -%}
        {%- elif column.encoding == 'flag' -%}
            {%- do names.append('has_' ~ column.name) -%}
        {%- else -%}
            {%- for value in column['values'] -%}
                {%- do names.append('is_' ~ column.name ~ '_' ~ value | lower | replace(' ', '_')) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}
