{#- Runs `sql` from a hook and commits it. A hook that queries first (run_query) leaves a
    transaction open, and dbt rolls back what is left open when the hooks end. -#}
{% macro run_committed(sql) -%}
    {%- call statement('spf_hook', auto_begin=true) -%}
        {{ sql }}
    {%- endcall -%}
    {%- do adapter.commit() -%}
    {{ return('') }}
{%- endmacro %}
