{#- The champion's prediction for every accepted student beside the actual score: the residual,
    the score anomalies the ML step flagged, and the students predicted to be at risk. -#}
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

        -- numerics
        predictions.predicted_exam_score,
        features.exam_score,
        cast(
            features.exam_score - predictions.predicted_exam_score as {{ type_double() }}
        ) as residual_points,

        -- booleans
        predictions.is_score_anomaly,
        predictions.predicted_exam_score
        < {{ var('ml_at_risk_below_score') }} as is_predicted_at_risk
    from predictions
    inner join features
        on predictions.student_key = features.student_key
)

select * from scored
