{#- The permutation importance of the run's champion, one row per feature, typed. -#}
with

source as (
    select * from {{ source('ml', 'feature_importance') }}
),

renamed as (
    select
        -- ids
        run_id,
        model_name,
        feature_name,

        -- numerics
        cast(importance_mean as {{ type_double() }}) as importance_mean,
        cast(importance_std as {{ type_double() }}) as importance_std,
        cast(importance_rank as {{ dbt.type_int() }}) as importance_rank,

        -- timestamps
        trained_at
    from source
)

select * from renamed
