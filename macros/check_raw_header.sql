{#- Fails the run, before anything is replaced, when a raw file's header is not the export's.
    The message names the file and the missing and unexpected columns. Returns the file's
    column names in the file's order, spelt as the export spells them (the landing reads them
    by name, so a reordered export lands correctly; names match without regard to case or
    padding, so `hours_studied` is Hours_Studied, as categories match): all of the export's,
    except that a file being scored may leave out the target (is_optional_when_scoring).
    The one implementation: Python calls this macro too (spf.columns.checked_header), for the
    runner's check before it lands, the Postgres landing and scoring. -#}
{% macro check_raw_header(path, header_line) -%}
    {%- set expected = [] -%}
    {%- set required = [] -%}
    {%- set spelling = {} -%}
    {%- for column in spf_columns() -%}
        {%- do expected.append(column.raw) -%}
        {%- do spelling.update({(column.raw | lower): column.raw}) -%}
        {%- if not is_optional_when_scoring(column) -%}
            {%- do required.append(column.raw) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set found = [] -%}
    {%- for name in (header_line or '').split(',') -%}
        {%- set cleaned = name | replace('"', '') | replace('\ufeff', '') | trim -%}
        {%- do found.append(spelling.get(cleaned | lower, cleaned)) -%}
    {%- endfor -%}
    {%- set missing = required | reject('in', found) | list -%}
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
    {%- set names = [] -%}
    {%- for name in found -%}
        {%- do names.append(name or 'unnamed_' ~ loop.index) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}
