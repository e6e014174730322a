{#- What the exam-score model trains on: one row per accepted student, the numeric factors as
    measured, every category encoded (booleans as 0/1), and the target exam_score. Scaling and
    imputation are left to the model's own pipeline, fitted on its training rows. -#}
with

featured as (
    select * from {{ ref('int_students_featured') }}
),

encoded as (
    select * from {{ ref('int_students_encoded') }}
),

features as (
    select
        -- ids
        featured.student_key,
        featured.source_row_number,

        -- numeric factors
        featured.hours_studied,
        featured.attendance_pct,
        featured.sleep_hours,
        featured.previous_score,
        featured.tutoring_sessions,
        featured.physical_activity_hours,

        -- encoded categories
        {%- for name in encoded_column_names() %}
        {%- if name.endswith('_code') %}
        encoded.{{ name }},
        {%- else %}
        cast(encoded.{{ name }} as {{ dbt.type_int() }}) as {{ name }},
        {%- endif %}
        {%- endfor %}

        -- target
        featured.exam_score
    from featured
    inner join encoded
        on featured.student_key = encoded.student_key
)

select * from features
