-- Which students does the model predict to be at risk, most likely first, and why?
with

predictions as (
    select * from {{ ref('fct_exam_score_predictions') }}
),

results as (
    select * from {{ ref('fct_exam_results') }}
),

students as (
    select * from {{ ref('dim_students') }}
),

at_risk as (
    select
        predictions.student_key,
        predictions.source_row_number,
        predictions.probability_below_at_risk_score,
        predictions.predicted_exam_score,
        predictions.predicted_lower,
        predictions.predicted_upper,
        predictions.top_reasons,
        predictions.exam_score,
        results.attendance_pct,
        results.hours_studied,
        results.previous_score,
        results.tutoring_sessions,
        students.parental_involvement,
        students.access_to_resources,
        students.motivation_level,
        students.has_learning_disabilities
    from predictions
    inner join results
        on predictions.student_key = results.student_key
    inner join students
        on predictions.student_key = students.student_key
    where predictions.is_predicted_at_risk
)

select * from at_risk
order by probability_below_at_risk_score desc, predicted_exam_score asc, source_row_number asc
