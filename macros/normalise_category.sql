{#- A category in its canonical spelling (` high ` and `HIGH` are `High`), matched without
    regard to case against the column's known `values`; null when unknown or missing. -#}
{% macro normalise_category(column, expression) -%}
    case lower({{ expression }})
        {%- for value in column['values'] %}
        when '{{ value | lower }}' then '{{ value }}'
        {%- endfor %}
    end
{%- endmacro %}
