{#- Hours of sleep per night, in whole hours: students, mean exam score with its 95 % interval,
    and the difference from the overall mean (the original claimed high achievers sleep less;
    rpt_original_claims tests that directly). -#}
with

students as (
    select * from {{ ref('int_students_grouped') }}
),

-- aggregate to one row per group and one row overall, then join the two once
groups as (
    select
        sleep_hours_whole as sleep_hours,
        {{ exam_score_statistics('exam_score') }}
    from students
    group by sleep_hours_whole
),

overall as (
    select {{ exam_score_statistics('exam_score') }}
    from students
),

compared as (
    select
        groups.sleep_hours,
        {{ compare_group_to_overall('groups', 'overall') }}
    from groups
    cross join overall
)

select * from compared
