{#- The champion's prediction for every accepted student beside the actual score: the interval,
    the probability of scoring below the at-risk score and the students predicted at risk, the
    three reasons, the residual and the score anomalies the ML step flagged. -#}
with

predictions as (
    select * from {{ ref('stg_ml__predictions') }}
),

features as (
    select * from {{ ref('ml_exam_score_features') }}
),

scored as (
    select
        -- ids
        predictions.student_key,
        features.source_row_number,
        predictions.run_id,

        -- strings
        predictions.top_reasons,
        predictions.reason_1_factor,
        predictions.reason_2_factor,
        predictions.reason_3_factor,

        -- numerics
        predictions.predicted_exam_score,
        predictions.predicted_lower,
        predictions.predicted_upper,
        predictions.probability_below_at_risk_score,
        predictions.reason_1_points,
        predictions.reason_2_points,
        predictions.reason_3_points,
        features.exam_score,
        cast(
            features.exam_score - predictions.predicted_exam_score as {{ type_double() }}
        ) as residual_points,

        -- booleans
        predictions.is_score_anomaly,
        predictions.is_predicted_at_risk,
        features.exam_score >= predictions.predicted_lower
        and features.exam_score <= predictions.predicted_upper as is_within_interval
    from predictions
    inner join features
        on predictions.student_key = features.student_key
)

select * from scored
