{#- The schema a layer is built in: its own name (raw, staging, intermediate, marts, ml), plus
    SPF_SCHEMA_SUFFIX while `python -m spf run` builds a Postgres or Spark warehouse aside
    (e.g. `marts__build`) before publishing it (spf/publish.py). Empty for a plain dbt run. -#}
{% macro spf_schema(name) -%}
    {{ return(name ~ env_var('SPF_SCHEMA_SUFFIX', '')) }}
{%- endmacro %}
