{#- The read-only role BI tools use on a Postgres warehouse, one per database since roles are
    server-wide: SPF_BI_ROLE when set, else `<database>_reader`. Refused unless it is a plain
    lower-case name of at most 63 characters (Postgres would fold or cut any other). The runner
    calls it too (spf.postgres), with the database and SPF_BI_ROLE as arguments. -#}
{% macro bi_role(database=none, configured=none) -%}
    {%- set database = database if database is not none else target.dbname -%}
    {%- set configured = configured if configured is not none else env_var('SPF_BI_ROLE', '') -%}
    {%- set name = configured or database ~ '_reader' -%}
    {%- set odd = name | list | reject('in', 'abcdefghijklmnopqrstuvwxyz0123456789_') | list -%}
    {%- if odd or name[:1] in '0123456789' or name | length > 63 -%}
        {%- set source = 'SPF_BI_ROLE' if configured else "database '" ~ database ~ "' + _reader" -%}
        {{ exceptions.raise_compiler_error(
            "The BI role's name '" ~ name ~ "' (" ~ source ~ ") is not a plain role name: set"
            ~ " SPF_BI_ROLE to at most 63 lower-case letters, digits and _, not starting with a"
            ~ " digit") }}
    {%- endif -%}
    {{ return(name) }}
{%- endmacro %}
