{#- How well each candidate exam-score model of the run that built this warehouse predicts:
    hold-out, cross-validated and without-anomaly figures, the champion flagged. -#}
with

model_metrics as (
    select * from {{ ref('stg_ml__model_metrics') }}
)

select * from model_metrics
