{#- The number in a cleaned text value, typed by the column's `kind` (integer or decimal);
    null when the text is not such a number (staging's checks then say why). -#}
{% macro parse_number(column, expression) -%}
    {%- if column.kind == 'integer' -%}
        case
            when {{ matches_number(expression, whole=true) }}
                then cast(cast({{ expression }} as {{ type_double() }}) as {{ dbt.type_int() }})
        end
    {%- else -%}
        case
            when {{ matches_number(expression) }}
                then cast({{ expression }} as {{ type_double() }})
        end
    {%- endif -%}
{%- endmacro %}
