{#- Public vs private school: students, mean exam score with its 95 % interval, and the
    difference from the overall mean (the original claimed public schools do better). -#}
with

students as (
    select * from {{ ref('int_students_grouped') }}
),

-- aggregate to one row per group and one row overall, then join the two once
groups as (
    select
        school_type,
        {{ exam_score_statistics('exam_score') }}
    from students
    group by school_type
),

overall as (
    select {{ exam_score_statistics('exam_score') }}
    from students
),

compared as (
    select
        groups.school_type,
        {{ compare_group_to_overall('groups', 'overall') }}
    from groups
    cross join overall
)

select * from compared
