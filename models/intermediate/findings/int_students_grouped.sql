{#- One row per accepted student: the groups the findings marts compare beside the exam score,
    joined once for all of them (school type, extracurricular activities, attendance, tutoring
    and study-hours bands, whole hours of sleep, high achievers). -#}
with

students as (
    select * from {{ ref('dim_students') }}
),

results as (
    select * from {{ ref('fct_exam_results') }}
),

joined as (
    select
        -- ids
        students.student_key,

        -- strings
        students.school_type,
        students.attendance_band,
        students.hours_studied_band,
        case
            when results.tutoring_sessions >= 3 then '3+'
            else cast(results.tutoring_sessions as {{ dbt.type_string() }})
        end as tutoring_band,

        -- numerics
        results.exam_score,
        results.attendance_pct,
        results.tutoring_sessions,
        results.hours_studied,
        results.sleep_hours,
        -- whole hours: 6 holds 6.0 to 6.9 (the export records whole hours only)
        cast(floor(results.sleep_hours) as {{ dbt.type_int() }}) as sleep_hours_whole,

        -- booleans
        students.is_public_school,
        students.has_extracurricular_activities
    from students
    inner join results
        on students.student_key = results.student_key
),

-- high achievers are defined from the data: at least one SD above the mean exam score
score_moments as (
    select
        avg(cast(exam_score as {{ type_double() }})) as mean_exam_score,
        stddev_samp(cast(exam_score as {{ type_double() }})) as exam_score_sd
    from joined
),

grouped as (
    select
        joined.*,
        joined.exam_score
        >= score_moments.mean_exam_score + score_moments.exam_score_sd as is_high_achiever
    from joined
    cross join score_moments
)

select * from grouped
