{#- No raw row is lost or duplicated on its way into staging. (Dagster shows it as a check of
    staging, its second parent.) -#}
{{ config(meta={'dagster': {'ref': {'name': 'stg_spf__students'}}}) }}
with

raw_rows as (
    select count(*) as row_count from {{ source('spf', 'student_performance_factors') }}
),

staged_rows as (
    select count(*) as row_count from {{ ref('stg_spf__students') }}
)

select
    raw_rows.row_count as raw_row_count,
    staged_rows.row_count as staged_row_count
from raw_rows
cross join staged_rows
where raw_rows.row_count != staged_rows.row_count
