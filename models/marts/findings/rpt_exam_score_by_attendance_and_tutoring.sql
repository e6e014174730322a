{#- Attendance band x tutoring sessions per month (0, 1, 2, 3+): students, mean exam score with
    its 95 % interval, and the difference from the overall mean. -#}
with

students as (
    select * from {{ ref('int_students_grouped') }}
),

-- aggregate to one row per group and one row overall, then join the two once
groups as (
    select
        attendance_band,
        tutoring_band,
        min(attendance_pct) as min_attendance_pct,
        min(tutoring_sessions) as min_tutoring_sessions,
        {{ exam_score_statistics('exam_score') }}
    from students
    group by attendance_band, tutoring_band
),

overall as (
    select {{ exam_score_statistics('exam_score') }}
    from students
),

compared as (
    select
        groups.attendance_band,
        groups.tutoring_band,
        groups.min_attendance_pct,
        groups.min_tutoring_sessions,
        {{ compare_group_to_overall('groups', 'overall') }}
    from groups
    cross join overall
)

select * from compared
