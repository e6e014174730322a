{#- One row per accepted student: the groups the findings marts compare beside the exam score,
    joined once for all of them (school type, extracurricular activities, attendance, tutoring
    and study-hours bands, whole hours of sleep, high achievers). Built from the staging and
    intermediate models, as dim_students and fct_exam_results are, never from those marts. -#}
with

students as (
    select * from {{ ref('stg_spf__students') }}
    where is_accepted
),

encoded as (
    select * from {{ ref('int_students_encoded') }}
),

featured as (
    select * from {{ ref('int_students_featured') }}
),

joined as (
    select
        -- ids
        featured.student_key,

        -- strings
        students.school_type,
        featured.attendance_band,
        featured.hours_studied_band,
        case
            when featured.tutoring_sessions >= 3 then '3+'
            else cast(featured.tutoring_sessions as {{ dbt.type_string() }})
        end as tutoring_band,

        -- numerics
        featured.exam_score,
        featured.attendance_pct,
        featured.tutoring_sessions,
        featured.hours_studied,
        featured.sleep_hours,
        -- whole hours: 6 holds 6.0 to 6.9 (the export records whole hours only)
        cast(floor(featured.sleep_hours) as {{ dbt.type_int() }}) as sleep_hours_whole,

        -- booleans
        encoded.is_school_type_public as is_public_school,
        encoded.has_extracurricular_activities
    from featured
    inner join students
        on featured.student_key = students.student_key
    inner join encoded
        on featured.student_key = encoded.student_key
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
