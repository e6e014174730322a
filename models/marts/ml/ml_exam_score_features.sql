{#- What the exam-score model trains on: one row per accepted student, the numeric factors as
    measured, every category encoded (booleans as 0/1; roles in the columns' meta), and the
    target exam_score. Scaling and imputation are left to the model's own pipeline, fitted on
    its training rows. -#}
with

students as (
    select * from {{ ref('int_students_featured') }}
),

features as (
    select
        -- ids
        student_key,
        source_row_number,

        -- numeric factors
        hours_studied,
        attendance_pct,
        sleep_hours,
        previous_score,
        tutoring_sessions,
        physical_activity_hours,

        -- encoded categories
        {%- for encoded in encoded_column_names() %}
        {%- if encoded.role == 'ordinal_code' %}
        {{ encoded.name }},
        {%- else %}
        cast({{ encoded.name }} as {{ dbt.type_int() }}) as {{ encoded.name }},
        {%- endif %}
        {%- endfor %}

        -- target
        exam_score
    from students
)

select * from features
