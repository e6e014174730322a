{#- What the exam-score model trains on: one row per accepted student, the numeric factors as
    measured, every category encoded (booleans as 0/1), and the target exam_score: exactly the
    columns of ml_feature_roles(), whose roles the ML step reads from this model's meta in the
    manifest. Scaling and imputation are left to the model's own pipeline, fitted on its
    training rows. -#}
{#- the meta is computed by the macro that also lists the columns, so it is set here -#}
{{ config(meta={'ml_column_roles': ml_feature_roles()}) }}
{%- set roles = ml_feature_roles() %}
with

students as (
    select * from {{ ref('int_students_featured') }}
),

features as (
    -- every column generated from ml_feature_roles(), which sqlfluff cannot lay out
    select  -- noqa: LT02
        {%- for name, role in roles.items() %}
        {{ ml_feature_column(name, role, last=loop.last) }}  -- noqa: LT02
        {%- endfor %}
    from students
)

select * from features
