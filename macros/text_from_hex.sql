{#- A text value given to SQL as the hex of its UTF-8 bytes, decoded by the engine: whatever
    quotes, backslashes or template syntax it holds, it is a value, never SQL (e.g. the user's
    name of a raw file, recorded in the raw table). -#}
{% macro text_from_hex(hex_digits) -%}
    {%- if not modules.re.fullmatch('([0-9a-f]{2})*', hex_digits) -%}
        {{ exceptions.raise_compiler_error("text_from_hex: '" ~ hex_digits ~ "' is not hex") }}
    {%- endif -%}
    {{ return(adapter.dispatch('text_from_hex', 'student_performance')(hex_digits)) }}
{%- endmacro %}

{% macro default__text_from_hex(hex_digits) -%}
    convert_from(decode('{{ hex_digits }}', 'hex'), 'UTF8')
{%- endmacro %}

{% macro duckdb__text_from_hex(hex_digits) -%}
    decode(unhex('{{ hex_digits }}'))
{%- endmacro %}

{% macro spark__text_from_hex(hex_digits) -%}
    decode(unhex('{{ hex_digits }}'), 'UTF-8')
{%- endmacro %}
