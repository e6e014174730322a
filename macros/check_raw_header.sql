{#- Fails the run, before anything is replaced, when a raw file's header is not the export's.
    The message names the file and the missing and unexpected columns. -#}
{% macro check_raw_header(path, header_line) -%}
    {%- set expected = [] -%}
    {%- for column in spf_columns() -%}{%- do expected.append(column.raw) -%}{%- endfor -%}
    {%- set found = [] -%}
    {%- for name in (header_line or '').split(',') -%}
        {%- do found.append(name | replace('"', '') | replace('\ufeff', '') | trim) -%}
    {%- endfor -%}
    {%- set missing = expected | reject('in', found) | list -%}
    {%- set unexpected = found | reject('in', expected) | reject('equalto', '') | list -%}
    {%- if missing or unexpected -%}
        {%- set message -%}
Raw file '{{ path }}' is not a Student Performance Factors export; nothing was loaded or replaced.
  missing columns:    {{ missing | join(', ') if missing else '(none)' }}
  unexpected columns: {{ unexpected | join(', ') if unexpected else '(none)' }}
  expected header:    {{ expected | join(',') }}
        {%- endset -%}
        {{ exceptions.raise_compiler_error(message) }}
    {%- endif -%}
{%- endmacro %}
