{#- One readable reason for each check a row fails, joined by '; ', or null when it passes.
    Expects, for every column in spf_columns(), `<name>_text` (the cleaned raw text) and
    `<name>` (the typed or normalised value), and `load_error` from the landing. A blank value
    is a reason unless the column is `nullable`, or is_optional_when_scoring. -#}
{% macro rejection_reasons() -%}
    {%- set checks = ["case when load_error is not null then '; row could not be read ('"
        ~ " || load_error || ')' else '' end"] -%}
    {%- for column in spf_columns() -%}
        {%- set name = column.name -%}
        {%- set text = name ~ '_text' -%}
        {%- set optional = column.nullable or is_optional_when_scoring(column) -%}
        {%- set when_blank = "''" if optional else "'; " ~ name ~ " is missing'" -%}
        {%- if column.kind == 'category' -%}
            {%- set known = column['values'] | join(', ') -%}
            {%- set check -%}
            case
                when {{ text }} is null then {{ when_blank }}
                when {{ name }} is null
                    then '; {{ name }} ''' || {{ shown_value(text) }} || ''' is not one of {{ known }}'
                else ''
            end
            {%- endset -%}
        {%- else -%}
            {%- set what = 'a whole number' if column.kind == 'integer' else 'a number' -%}
            {%- set check -%}
            case
                when {{ text }} is null then {{ when_blank }}
                when {{ name }} is null
                    then '; {{ name }} ''' || {{ shown_value(text) }} || ''' is not {{ what }}'
                when {{ name }} < {{ column.min }} or {{ name }} > {{ column.max }}
                    then '; {{ name }} ' || {{ text }}
                        || ' is outside {{ column.min }} to {{ column.max }}'
                else ''
            end
            {%- endset -%}
        {%- endif -%}
        {%- do checks.append(check) -%}
    {%- endfor -%}
    nullif(substr({{ dbt.concat(checks) }}, 3), '')
{%- endmacro %}
