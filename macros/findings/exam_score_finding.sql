{#- A findings mart: the groups of one finding of `vars.findings` (from int_exam_score_groups)
    compared with the overall row, with `columns` (group columns and measure ranges, as
    select expressions) first. Each rpt_exam_score_by_* model is one call of this macro. -#}
{% macro exam_score_finding(finding, columns) -%}
{%- if finding not in var('findings') -%}
    {{ exceptions.raise_compiler_error("exam_score_finding: '" ~ finding
        ~ "' is not one of vars.findings (" ~ var('findings').keys() | join(', ') ~ ")") }}
{%- endif -%}
with

groups as (
    select * from {{ ref('int_exam_score_groups') }}
    where finding_name = '{{ finding }}'
),

overall as (
    select * from {{ ref('int_exam_score_groups') }}
    where finding_name = 'overall'
),

compared as (
    select
        {%- for column in columns %}
        groups.{{ column }},
        {%- endfor %}
        {{ compare_group_to_overall('groups', 'overall') }}
    from groups
    cross join overall
)

select * from compared
{%- endmacro %}
