{#- Weekly study-hours bands: students, mean exam score with its 95 % interval, and the
    difference from the overall mean. -#}
with

students as (
    select * from {{ ref('int_students_grouped') }}
),

-- aggregate to one row per group and one row overall, then join the two once
groups as (
    select
        hours_studied_band,
        min(hours_studied) as min_hours_studied,
        max(hours_studied) as max_hours_studied,
        {{ exam_score_statistics('exam_score') }}
    from students
    group by hours_studied_band
),

overall as (
    select {{ exam_score_statistics('exam_score') }}
    from students
),

compared as (
    select
        groups.hours_studied_band,
        groups.min_hours_studied,
        groups.max_hours_studied,
        {{ compare_group_to_overall('groups', 'overall') }}
    from groups
    cross join overall
)

select * from compared
