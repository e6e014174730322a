{#- The ML step's prediction for every accepted student, typed: one row per student. -#}
with

source as (
    select * from {{ source('ml', 'predictions') }}
),

renamed as (
    select
        -- ids
        student_key,
        run_id,

        -- numerics
        cast(predicted_exam_score as {{ type_double() }}) as predicted_exam_score,

        -- booleans
        is_score_anomaly,

        -- timestamps
        trained_at
    from source
)

select * from renamed
