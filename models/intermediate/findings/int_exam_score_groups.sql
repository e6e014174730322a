{#- Every finding's groups in one pass over the accepted students (grouping sets of
    `vars.findings`), plus the overall row: one row per (finding, group) with the exam score's
    statistics and the ranges of the measures the groups band. The rpt_exam_score_by_* marts
    each read their finding's rows. -#}
{%- set findings = var('findings') -%}
{%- set group_columns = [] -%}
{%- for columns in findings.values() -%}
{%- do group_columns.extend(columns | reject('in', group_columns) | list) -%}
{%- endfor -%}
with

students as (
    select * from {{ ref('int_students_featured') }}
),

grouped as (
    select
        -- ids: the finding a row belongs to (its first column is grouped), or overall
        case
            {%- for finding, columns in findings.items() %}
            when grouping({{ columns[0] }}) = 0 then '{{ finding }}'
            {%- endfor %}
            else 'overall'
        end as finding_name,

        -- the groups (null outside their finding)
        {%- for column in group_columns %}
        {{ column }},
        {%- endfor %}

        -- numerics
        min(attendance_pct) as min_attendance_pct,
        min(tutoring_sessions) as min_tutoring_sessions,
        min(hours_studied) as min_hours_studied,
        max(hours_studied) as max_hours_studied,
        {{ exam_score_statistics('exam_score') }}
    from students
    group by grouping sets (  -- noqa: PRS
        {%- for columns in findings.values() %}
        ({{ columns | join(', ') }}),
        {%- endfor %}
        ()
    )
)

select * from grouped
