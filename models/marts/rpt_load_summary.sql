{#- This load as the load history records it, one row: its file, its row counts, its KPIs and
    its champion's figures (null when the ML step did not run). Its number is the next one,
    or the latest load's when that was of the same file (SHA-256): recording it again adds
    nothing. The runner appends it to the history before publishing (pipeline/job.py,
    record_load); rpt_load_history publishes the history. Built after training
    (tag ml_outputs). -#}
with

reconciliation as (
    select * from {{ ref('rpt_load_reconciliation') }}
),

kpis as (
    select * from {{ ref('rpt_kpi_summary') }}
),

model_metrics as (
    select * from {{ ref('stg_ml__model_metrics') }}
),

loads as (
    select * from {{ ref('stg_history__loads') }}
),

latest_run as (
    select max(trained_at) as trained_at from model_metrics
),

champion as (
    select model_metrics.*
    from model_metrics
    inner join latest_run on model_metrics.trained_at = latest_run.trained_at
    where model_metrics.is_champion
),

latest as (
    select max(load_number) as load_number from loads
),

latest_load as (
    select
        loads.load_number,
        loads.source_file_sha256
    from loads
    inner join latest on loads.load_number = latest.load_number
),

summary as (
    select
        -- ids
        cast(
            case
                when latest_load.source_file_sha256 = reconciliation.source_file_sha256
                    then latest_load.load_number
                else coalesce(latest_load.load_number, 0) + 1
            end as {{ dbt.type_int() }}
        ) as load_number,

        -- timestamps
        reconciliation.loaded_at,

        -- strings
        reconciliation.source_file,
        reconciliation.source_file_sha256,

        -- numerics
        reconciliation.rows_received,
        reconciliation.rows_accepted,
        reconciliation.rows_rejected,
        reconciliation.rows_duplicated,
        {%- for name in var('kpi_labels') %}
        kpis.{{ name }},
        {%- endfor %}
        champion.model_name as champion_model_name,
        champion.cv_r2_mean as champion_cv_r2_mean,
        champion.cv_r2_std as champion_cv_r2_std,
        champion.cv_mse_mean as champion_cv_mse_mean,
        champion.interval_coverage
    from reconciliation
    cross join kpis
    left join latest_load on 1 = 1
    left join champion on 1 = 1
)

select * from summary
