-- How many exam points do 3+ tutoring sessions a month add over none, within each attendance band?
with

groups as (
    select * from {{ ref('rpt_exam_score_by_attendance_and_tutoring') }}
),

no_tutoring as (
    select * from groups
    where tutoring_band = '0'
),

most_tutoring as (
    select * from groups
    where tutoring_band = '3+'
),

compared as (
    select
        most_tutoring.attendance_band,
        most_tutoring.min_attendance_pct,
        no_tutoring.student_count as students_without_tutoring,
        most_tutoring.student_count as students_with_3_plus_sessions,
        no_tutoring.mean_exam_score as mean_score_without_tutoring,
        most_tutoring.mean_exam_score as mean_score_with_3_plus_sessions,
        most_tutoring.mean_exam_score - no_tutoring.mean_exam_score as gain_points,
        {{ welch_standard_error(
            'most_tutoring.exam_score_sd', 'most_tutoring.student_count',
            'no_tutoring.exam_score_sd', 'no_tutoring.student_count') }} as gain_se
    from most_tutoring
    inner join no_tutoring
        on most_tutoring.attendance_band = no_tutoring.attendance_band
),

final as (
    select
        attendance_band,
        students_without_tutoring,
        students_with_3_plus_sessions,
        mean_score_without_tutoring,
        mean_score_with_3_plus_sessions,
        gain_points,
        {{ confidence_bound('gain_points', 'gain_se', 'lower') }} as gain_ci_lower,
        {{ confidence_bound('gain_points', 'gain_se', 'upper') }} as gain_ci_upper,
        min_attendance_pct
    from compared
)

select * from final
order by min_attendance_pct
