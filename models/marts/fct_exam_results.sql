{#- One exam result per accepted student, with the measured study habits behind it. -#}
with

featured as (
    select * from {{ ref('int_students_featured') }}
),

results as (
    select
        -- ids
        student_key,

        -- numerics
        exam_score,
        previous_score,
        score_change,
        hours_studied,
        tutoring_sessions,
        total_study_hours,
        attendance_pct,
        sleep_hours,
        physical_activity_hours,

        -- timestamps
        loaded_at
    from featured
)

select * from results
