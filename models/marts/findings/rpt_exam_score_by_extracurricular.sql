{#- Extracurricular activities or none: share of students, mean exam score with its 95 %
    interval, and the difference from the overall mean (the original claimed that
    extracurricular activities go with better performance). -#}
with

students as (
    select * from {{ ref('int_students_grouped') }}
),

-- aggregate to one row per group and one row overall, then join the two once
groups as (
    select
        has_extracurricular_activities,
        {{ exam_score_statistics('exam_score') }}
    from students
    group by has_extracurricular_activities
),

overall as (
    select {{ exam_score_statistics('exam_score') }}
    from students
),

compared as (
    select
        groups.has_extracurricular_activities,
        {{ compare_group_to_overall('groups', 'overall') }}
    from groups
    cross join overall
)

select * from compared
