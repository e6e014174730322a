{#- The ML step's prediction for every accepted student, typed: one row per student, with its
    interval, the probability of scoring below the at-risk score and the three reasons. -#}
with

source as (
    select * from {{ source('ml', 'predictions') }}
),

renamed as (
    select
        -- ids
        student_key,
        run_id,

        -- strings
        top_reasons,
        reason_1_factor,
        reason_2_factor,
        reason_3_factor,

        -- numerics
        {%- for figure in [
            'predicted_exam_score', 'predicted_lower', 'predicted_upper',
            'probability_below_at_risk_score',
            'reason_1_points', 'reason_2_points', 'reason_3_points'] %}
        cast({{ figure }} as {{ type_double() }}) as {{ figure }},
        {%- endfor %}

        -- booleans
        is_score_anomaly,
        is_predicted_at_risk,

        -- timestamps
        trained_at
    from source
)

select * from renamed
