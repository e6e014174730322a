{#- Schemas are named exactly as configured (raw, staging, intermediate, marts, ml), not
    dbt's default <target_schema>_<custom>; while the runner builds aside, with its suffix
    (spf_schema). Without a custom schema, the target's schema. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ spf_schema(custom_schema_name | trim) }}
    {%- endif -%}
{%- endmacro %}
