-- Which students score far above what the model predicts from their circumstances?
with

predictions as (
    select * from {{ ref('fct_exam_score_predictions') }}
),

students as (
    select * from {{ ref('dim_students') }}
),

unexplained as (
    select
        predictions.student_key,
        predictions.source_row_number,
        predictions.exam_score,
        predictions.predicted_exam_score,
        predictions.residual_points,
        students.school_type,
        students.attendance_band,
        students.hours_studied_band
    from predictions
    inner join students
        on predictions.student_key = students.student_key
    where predictions.is_score_anomaly
)

select * from unexplained
order by residual_points desc, source_row_number asc
