{#- The raw export's columns and their rules, from `vars.spf_columns` in dbt_project.yml. -#}
{% macro spf_columns() -%}
    {{ return(var('spf_columns')) }}
{%- endmacro %}
