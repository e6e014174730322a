{#- Trimmed text, with empty strings as null: how every raw value is read first. Trimmed of
    the same characters on every engine, `vars.spf_trimmed_characters` (ASCII whitespace and
    Unicode's spaces, as code points: each engine writes them as escapes), so that every engine
    accepts the same rows. -#}
{% macro clean_text(expression) -%}
    {%- set code_points = var('spf_trimmed_characters') -%}
    nullif({{ adapter.dispatch('clean_text', 'student_performance')(expression, code_points) }}, '')
{%- endmacro %}

{% macro default__clean_text(expression, code_points) -%}
    {{ exceptions.raise_compiler_error(
        "clean_text has no trim of Unicode characters for '" ~ target.type ~ "'") }}
{%- endmacro %}

{#- DuckDB's trim() with a set of characters costs 15-20 times its plain trim(): a value whose
    first and last characters are printable ASCII (none of them padding) is taken as it is, any
    other is trimmed by a regular expression (RE2 reads the \x{...} escapes). -#}
{% macro duckdb__clean_text(expression, code_points) -%}
    {%- set padding -%}
        [{% for code_point in code_points %}\x{{ '{' ~ code_point ~ '}' }}{% endfor %}]
    {%- endset -%}
    case
        when
            ascii({{ expression }}) between 33 and 126
            and ascii(right({{ expression }}, 1)) between 33 and 126
            then {{ expression }}
        else regexp_replace({{ expression }}, '^{{ padding }}+|{{ padding }}+$', '', 'g')
    end
{%- endmacro %}

{% macro postgres__clean_text(expression, code_points) -%}
    trim(both U&'{% for code_point in code_points %}\{{ code_point }}{% endfor %}'
        from {{ expression }})
{%- endmacro %}

{% macro spark__clean_text(expression, code_points) -%}
    trim(both '{% for code_point in code_points %}\u{{ code_point }}{% endfor %}'
        from {{ expression }})
{%- endmacro %}
