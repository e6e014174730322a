-- Where is the model least accurate: its mean absolute error and bias by attendance band?
with

predictions as (
    select * from {{ ref('fct_exam_score_predictions') }}
),

students as (
    select * from {{ ref('dim_students') }}
),

errors as (
    select
        students.attendance_band,
        count(*) as student_count,
        avg(abs(predictions.residual_points)) as mean_absolute_error_points,
        avg(predictions.residual_points) as mean_residual_points,
        sum(case when predictions.is_score_anomaly then 1 else 0 end) as score_anomalies
    from predictions
    inner join students
        on predictions.student_key = students.student_key
    group by students.attendance_band
)

select * from errors
order by mean_absolute_error_points desc
