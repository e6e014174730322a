{#- The number in a cleaned text value, typed by the column's `kind` (integer or decimal);
    null when the text is not such a number (staging's checks then say why). A whole number
    beyond a billion would overflow an integer, so it is reported as not a whole number. The
    nested case keeps the cast behind the pattern check on every engine. -#}
{% macro parse_number(column, expression) -%}
    {%- set as_double = 'cast(' ~ expression ~ ' as ' ~ type_double() ~ ')' -%}
    {%- if column.kind == 'integer' -%}
        case
            when {{ matches_number(expression, whole=true) }}
                then case
                    when abs({{ as_double }}) < 1e9
                        then cast({{ as_double }} as {{ dbt.type_int() }})
                end
        end
    {%- else -%}
        case
            when {{ matches_number(expression) }}
                then {{ as_double }}
        end
    {%- endif -%}
{%- endmacro %}
