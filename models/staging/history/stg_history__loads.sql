{#- Every published load, as recorded (the runner appends rows of marts.rpt_load_summary). -#}
with

source as (
    select * from {{ source('history', 'loads') }}
)

select * from source
