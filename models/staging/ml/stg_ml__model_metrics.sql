{#- The ML step's figures for every candidate model of the run, typed. -#}
with

source as (
    select * from {{ source('ml', 'model_metrics') }}
),

renamed as (
    select
        -- ids
        run_id,
        model_name,
        model_version,

        -- numerics
        {%- for figure in [
            'mse', 'rmse', 'mae', 'r2',
            'cv_mse_mean', 'cv_mse_std', 'cv_mae_mean', 'cv_r2_mean', 'cv_r2_std',
            'mse_without_anomalies', 'rmse_without_anomalies',
            'mae_without_anomalies', 'r2_without_anomalies',
            'interval_coverage', 'interval_mean_width', 'brier_score', 'brier_score_base_rate'] %}
        cast({{ figure }} as {{ type_double() }}) as {{ figure }},
        {%- endfor %}
        cast(n_train as {{ dbt.type_int() }}) as n_train,
        cast(n_test as {{ dbt.type_int() }}) as n_test,
        cast(n_test_anomalies as {{ dbt.type_int() }}) as n_test_anomalies,

        -- booleans
        is_champion,

        -- timestamps
        trained_at
    from source
)

select * from renamed
