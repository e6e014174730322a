{#- A raw value as a rejection reason shows it: whole when short, else its first
    `var('spf_reason_value_chars')` characters and its length, so a 1 MB field gives a
    readable reason (the whole value stays in raw_record). -#}
{% macro shown_value(text) -%}
    {%- set keep = var('spf_reason_value_chars') -%}
    case
        when length({{ text }}) > {{ keep }}
            then substr({{ text }}, 1, {{ keep }}) || '... ('
                || cast(length({{ text }}) as {{ dbt.type_string() }}) || ' characters)'
        else {{ text }}
    end
{%- endmacro %}
